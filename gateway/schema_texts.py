"""Every text a model reads in a JSON Schema (a tool's parameters, a response format).

A schema is developer configuration, but what it says reaches the model and the provider:
descriptions, titles, enum/const/default/examples values, patterns. Each string is a text
to scan (normal actions apply); every name (a property, a `$defs` entry, a key inside an
example value, an unknown keyword) is an identifier: checked against a strict pattern,
scanned, never rewritten. The walk is iterative; the body's depth is already bounded
(`gateway.json_body.MAX_JSON_DEPTH`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from gateway.errors import BadRequest
from gateway.locations import Location, Step, identifier, render

# Property and definition names: word characters (any script), dots and hyphens. No spaces,
# no `@`, `+` or `/`: what is left is a name, and it is scanned as one.
NAME = re.compile(r"[\w.-]{1,64}")
# An unknown keyword's name (a vendor extension, `$vocabulary`).
KEYWORD = re.compile(r"[\w.$-]{1,64}")
# Keys that are regular expressions (`patternProperties`) or live inside example values.
LOOSE_KEY = re.compile(r"[^\x00-\x1f\x7f]{1,128}")
# `$ref` and friends: a URI or JSON pointer, never prose.
REFERENCE = re.compile(r"[\w#/$.:~%-]{1,256}")
JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})

_SCHEMA_MAPS = {"properties": NAME, "$defs": NAME, "definitions": NAME, "dependentSchemas": NAME,
                "patternProperties": LOOSE_KEY}
_SCHEMA_LISTS = frozenset({"anyOf", "allOf", "oneOf", "prefixItems"})
_SCHEMA_ONE = frozenset({"items", "additionalItems", "additionalProperties", "not", "if", "then", "else",
                         "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"})
_TEXT_KEYWORDS = frozenset({"description", "title", "$comment", "pattern", "format", "contentEncoding",
                            "contentMediaType"})
# Keywords whose values are instances (any JSON): every string in them is read.
_VALUE_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
_REFERENCES = frozenset({"$ref", "$dynamicRef", "$id", "$anchor", "$dynamicAnchor", "$schema"})
# Keywords whose values are numbers or booleans: nothing to read.
_PLAIN_KEYWORDS = frozenset({
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "minContains", "maxContains",
    "readOnly", "writeOnly", "deprecated", "nullable", "strict",
})

Kind = Literal["schema", "value"]
SchemaText = tuple[Location, str]


def schema_texts(schema: Any, at: tuple[Step, ...]) -> Iterator[SchemaText]:
    """(location, text) for each text and identifier in the schema found at path `at`."""
    try:
        yield from _walk(schema, at)
    except _Invalid as invalid:
        # The param names the schema, never a key or value inside it (they may be PII).
        raise BadRequest(f"invalid JSON Schema at {render(at)}: {invalid}", code="invalid_schema",
                         param=render(at)) from None


class _Invalid(ValueError):
    pass


def _walk(schema: Any, at: tuple[Step, ...]) -> Iterator[SchemaText]:
    stack: list[tuple[Kind, Any, tuple[Step, ...]]] = [("schema", schema, at)]
    while stack:
        kind, node, path = stack.pop()
        if isinstance(node, str):
            yield Location(path), node
        elif isinstance(node, list):
            stack.extend((kind, item, (*path, i)) for i, item in reversed(list(enumerate(node))))
        elif isinstance(node, dict) and kind == "value":
            yield from (_name(key, path, LOOSE_KEY) for key in node)
            stack.extend(("value", value, (*path, key)) for key, value in reversed(node.items()))
        elif isinstance(node, dict):
            names: list[SchemaText] = []
            children: list[tuple[Kind, Any, tuple[Step, ...]]] = []
            for key, value in node.items():
                children.extend(_keyword(key, value, path, names))
            yield from names
            stack.extend(reversed(children))


def _keyword(key: str, value: Any, path: tuple[Step, ...],
             texts: list[SchemaText]) -> list[tuple[Kind, Any, tuple[Step, ...]]]:
    """What to walk below one keyword of a schema object; identifiers it holds go to `texts`."""
    here = (*path, key)
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        pattern = _SCHEMA_MAPS[key]
        texts.extend(_name(name, here, pattern) for name in value)
        return [("schema", sub, (*here, name)) for name, sub in value.items()]
    if key in _SCHEMA_LISTS or key in _SCHEMA_ONE:
        return [("schema", value, here)]
    if key == "type":
        _check_type(value)
        return []
    if key == "required" and isinstance(value, list):
        texts.extend(_names(value, here))
        return []
    if key == "dependentRequired" and isinstance(value, dict):
        for name, names in value.items():
            texts.append(_name(name, here, NAME))
            texts.extend(_names(names if isinstance(names, list) else [names], (*here, name)))
        return []
    if key in _REFERENCES:
        if not isinstance(value, str) or not REFERENCE.fullmatch(value):
            raise _Invalid(f"{key} must be a URI or JSON pointer")
        texts.append((identifier(here), value))
        return []
    if key in _PLAIN_KEYWORDS and not isinstance(value, (str, list, dict)):
        return []
    if key not in _TEXT_KEYWORDS and key not in _VALUE_KEYWORDS:
        # An unknown keyword (a vendor extension): its name is read like a property name.
        texts.append(_name(key, path, KEYWORD))
    return [("value", value, here)]


def _name(name: str, at: tuple[Step, ...], pattern: re.Pattern[str]) -> SchemaText:
    if not pattern.fullmatch(name):
        raise _Invalid("a name in a JSON Schema may hold only letters, digits, '_', '.' and '-' (1-64)")
    return identifier((*at, name), is_key=True), name


def _names(names: list[Any], at: tuple[Step, ...]) -> Iterator[SchemaText]:
    for i, name in enumerate(names):
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise _Invalid("a required property name may hold only letters, digits, '_', '.' and '-' (1-64)")
        yield identifier((*at, i)), name


def _check_type(value: Any) -> None:
    types = value if isinstance(value, list) else [value]
    if not types or not all(isinstance(t, str) and t in JSON_TYPES for t in types):
        raise _Invalid(f"type must be one of {', '.join(sorted(JSON_TYPES))} (or a list of them)")
