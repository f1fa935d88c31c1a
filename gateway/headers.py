"""Request headers as the gateway reads them: one value per name, or a refusal.

HTTP lets a header repeat, and frameworks then quietly take the first value or the last;
`X-Customer-Region: EU` followed by `X-Customer-Region: US` would route EU data to the US
on one reader and not on another. Here a name that arrives more than once cannot be read at
all: reading it raises `BadHeader` (400), on every route, whichever header it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from gateway.errors import BadHeader


def header_title(name: str) -> str:
    """"x-customer-region" -> "X-Customer-Region" (how errors name a header)."""
    return "-".join(part.capitalize() for part in name.split("-"))


class RequestHeaders(Mapping[str, str]):
    """Lower-case header names to their single value; repeated names refuse to be read."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        values: dict[str, str] = {}
        repeated: set[str] = set()
        for name, value in pairs:
            name = name.lower()
            if name in values:
                repeated.add(name)
            values[name] = value
        self._values = values
        self.repeated = frozenset(repeated)

    def __getitem__(self, name: str) -> str:
        name = name.lower()
        if name in self.repeated:
            title = header_title(name)
            raise BadHeader(f"{title} is given more than once; send it once", code="repeated_header", param=title)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values
