"""Query strings the read APIs accept: known names, each once, no control characters.

FastAPI validates each declared parameter's type and bounds; this adds what it does not:
an unknown name (a typo such as `?caler=` would otherwise return everything), a repeated one
(FastAPI silently takes the last) and control characters (PostgreSQL refuses NUL in text,
which would otherwise surface as a 500). Messages name only known parameters, never input.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import Request

from gateway.errors import BadRequest

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def strict_query(*names: str) -> Callable[[Request], None]:
    allowed = frozenset(names)

    def check(request: Request) -> None:
        seen: set[str] = set()
        for name, value in request.query_params.multi_items():
            if name not in allowed:
                takes = f"takes only: {', '.join(names)}" if names else "takes no query parameters"
                raise BadRequest(f"unknown query parameter; this endpoint {takes}", code="unknown_parameter")
            if name in seen:
                raise BadRequest(f"query parameter {name} is given more than once", code="repeated_parameter",
                                 param=name)
            if _CONTROL.search(value):
                raise BadRequest(f"query parameter {name} contains control characters", param=name)
            seen.add(name)

    return check
