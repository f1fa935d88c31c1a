"""Assemble labelled samples from pieces (shared by the set modules)."""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Sequence

Piece = tuple[str, str | None]


def assemble(pieces: Iterable[Piece]) -> dict:
    """[("I live at ", None), ("Puruntie 82", "ADDRESS"), (".", None)] -> a presidio-research
    sample with the labelled pieces as spans."""
    text: list[str] = []
    spans: list[dict] = []
    pos = 0
    for piece, entity in pieces:
        if entity is not None and piece:
            spans.append({"entity_type": entity, "start_position": pos, "end_position": pos + len(piece)})
        text.append(piece)
        pos += len(piece)
    return {"full_text": "".join(text), "spans": spans}


def fill(template: str, values: dict[str, Piece]) -> list[Piece]:
    """Split a template "Hi, I moved to {addr} last week" into pieces, each {slot} replaced
    by its (text, entity) value ("{{" and "}}" are literal braces, as in str.format)."""
    out: list[Piece] = []
    for literal, slot, _spec, _conversion in string.Formatter().parse(template):
        if literal:
            out.append((literal, None))
        if slot is not None:
            out.append(values[slot])
    return out


def labelled(template: str, values: dict[str, str], entities: dict[str, str]) -> dict:
    """A sample from a template whose slots are plain strings; the slots named in `entities`
    become spans of that entity type ({"card": "CREDIT_CARD"})."""
    return assemble(fill(template, {slot: (value, entities.get(slot)) for slot, value in values.items()}))


def pick(rng: random.Random, items: Sequence):
    return items[rng.randrange(len(items))]
