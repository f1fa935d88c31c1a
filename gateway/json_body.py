"""Read a request body as JSON, within bounds, before anything else looks at it.

Python's `json` recurses once per nesting level (100,000 `[` exhaust the stack), turns `NaN`,
`Infinity` and `1e999` into floats no provider accepts, converts a 5,000-digit integer only to
fail later, and accepts `"\\ud800"` (a lone surrogate: not text anyone can scan or forward).
Each of these is a clear 400 here, on every POST route, before any model sees the body:

- nesting is measured on the raw text without recursion and capped at `MAX_JSON_DEPTH`;
- number literals are capped at `MAX_NUMBER_CHARS` and must be finite;
- every string, keys included, must be well-formed Unicode;
- with `unique_keys`, an object may not name a key twice (Python keeps the last silently, other
  parsers the first: a body that two readers would read differently is refused).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from gateway.errors import BadRequest

# A chat request nests about 6 levels; a tool's JSON Schema two per schema level (OpenAI
# allows 5 levels of structured-output nesting). 64 leaves room and keeps every walk shallow.
MAX_JSON_DEPTH = 64
# Longer than any int64 or double literal a client writes (`-1.7976931348623157e+308` is 24).
MAX_NUMBER_CHARS = 40

# A JSON string (unrolled loop: fast on long strings) and what remains between strings.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A lone surrogate can only come from an escape (the bytes were decoded as strict UTF-8).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Refused(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def parse_json_object(raw: bytes, *, unique_keys: bool = False) -> dict[str, Any]:
    """The body as a JSON object, or a BadRequest that never quotes the body."""
    if not raw:
        raise BadRequest("the request body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8") from None
    if _nesting_depth(text) > MAX_JSON_DEPTH:
        raise BadRequest(f"the request body nests deeper than {MAX_JSON_DEPTH} levels", code="json_too_deep")
    try:
        body = json.loads(text, parse_constant=_refuse_constant, parse_int=_parse_int, parse_float=_parse_float,
                          object_pairs_hook=_unique_object if unique_keys else None)
    except _Refused as refused:
        raise BadRequest(refused.message, code=refused.code) from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # unreachable after the depth check; kept so no stack can ever leak out
        raise BadRequest("the request body nests too deeply", code="json_too_deep") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    if _SURROGATE_ESCAPE.search(text) and not _well_formed(body):
        raise BadRequest("the request body contains invalid Unicode (an unpaired surrogate)", code="invalid_unicode")
    return body


def _nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, strings skipped; no recursion, C-speed scans."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0  # cannot be deeper than the number of openings
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Refused("the request body names a key twice in one object", "repeated_key")
    return obj


def _refuse_constant(_name: str) -> Any:
    raise _Refused("the request body contains a non-finite number (NaN or Infinity)", "invalid_number")


def _parse_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _Refused(f"the request body contains a number longer than {MAX_NUMBER_CHARS} characters",
                       "invalid_number")
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _Refused(f"the request body contains a number longer than {MAX_NUMBER_CHARS} characters",
                       "invalid_number")
    value = float(literal)
    if value in (float("inf"), float("-inf")):  # 1e999: valid JSON, not a finite number
        raise _Refused("the request body contains a number out of range", "invalid_number")
    return value


def _well_formed(value: Any) -> bool:
    """True when every string in the tree (keys included) is valid Unicode. Iterative."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not is_well_formed(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def is_well_formed(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
