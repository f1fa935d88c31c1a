"""Assemble labelled samples from pieces (shared by the set modules)."""

from __future__ import annotations

import random
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
    by its (text, entity) value."""
    out: list[Piece] = []
    rest = template
    while "{" in rest:
        before, _, tail = rest.partition("{")
        slot, _, rest = tail.partition("}")
        if before:
            out.append((before, None))
        out.append(values[slot])
    if rest:
        out.append((rest, None))
    return out


def pick(rng: random.Random, items: Sequence):
    return items[rng.randrange(len(items))]
