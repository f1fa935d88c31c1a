"""What an evaluation got wrong, shown as *shapes* so the report never repeats the data.

`govgate pii eval DATASET --misses N` lists, per entity type, up to N missed gold spans and
N spurious predictions. A dataset is PII (real or realistic), so neither the span nor the
words around it are printed: each is replaced by its shape, one symbol per character
class, runs capped at four (as spaCy's `shape_`):

    "Rua do Arenque 1634"  ->  "Xxx xx Xxxxx 9999"
    "SW1A 1AA"             ->  "XX9X 9XX"
    "张伟先生"              ->  "HHHH"

Upper-case letters are X, lower-case x, digits 9, Han and other scripts without case H,
whitespace one space; punctuation is kept (it is structure: ", " "-" "/" "#"; "º" is a letter, x). The shape
keeps what tells a rule writer why a span was missed (house number after the name, glued
to a postcode, all lower case, a line break, a hyphen) and drops what identifies anyone.
Context is three words either side (six characters in text without spaces).
"""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel, Field

_RUN_CAP = 4
_CONTEXT_WORDS = 3
_CONTEXT_CHARS = 6


def shape(text: str) -> str:
    """The shape of `text` (see module docstring): no letter or digit of it survives."""
    out: list[str] = []
    last, run = "", 0
    for ch in text:
        if ch.isspace():
            symbol = "⏎" if ch == "\n" else " "
        elif ch.isdigit() or unicodedata.category(ch) == "Nd":
            symbol = "9"
        elif ch.isalpha() or unicodedata.category(ch).startswith("M"):
            symbol = "X" if ch.isupper() else "x" if ch.islower() else "H"
        elif unicodedata.category(ch).startswith("N"):
            symbol = "9"  # other numerals (Roman numerals, circled digits)
        else:
            symbol = ch
        if symbol == last:
            run += 1
            if run > _RUN_CAP and symbol in "Xx9H":
                continue
            if symbol == " ":
                continue
        else:
            last, run = symbol, 1
        out.append(symbol)
    return "".join(out)


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    left, right = text[:start], text[end:]
    if " " in text:
        left_words = left.split(" ")
        right_words = right.split(" ")
        left = " ".join(left_words[-_CONTEXT_WORDS - 1 :]) if len(left_words) > _CONTEXT_WORDS else left
        right = " ".join(right_words[: _CONTEXT_WORDS + 1]) if len(right_words) > _CONTEXT_WORDS else right
    else:
        left, right = left[-_CONTEXT_CHARS:], right[:_CONTEXT_CHARS]
    return shape(left), shape(right)


class MissExample(BaseModel):
    """One missed or spurious span, as shapes; `sample` is the sample's index in the file."""

    sample: int
    shape: str
    before: str
    after: str
    # For a spurious prediction: the recognizer and pattern that produced it (names only).
    # For a miss: the types predicted over it instead, if any.
    note: str = ""


class EntityMisses(BaseModel):
    missed_total: int = 0
    spurious_total: int = 0
    missed: list[MissExample] = Field(default_factory=list)
    spurious: list[MissExample] = Field(default_factory=list)


class MissCollector:
    """Keeps the first `limit` missed and spurious spans per entity type (and counts all)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_entity: dict[str, EntityMisses] = {}

    def add(self, kind: str, entity: str, index: int, text: str, start: int, end: int, note: str = "") -> None:
        misses = self.by_entity.setdefault(entity, EntityMisses())
        examples = misses.missed if kind == "missed" else misses.spurious
        if kind == "missed":
            misses.missed_total += 1
        else:
            misses.spurious_total += 1
        if len(examples) < self.limit:
            before, after = _context(text, start, end)
            examples.append(MissExample(sample=index, shape=shape(text[start:end]), before=before, after=after,
                                        note=note))


def render_misses(misses: dict[str, EntityMisses]) -> list[str]:
    """Text lines for the CLI: `  Xxxx 99   … xx xxx [Xxxxx 99] , Xxxx …`."""
    lines: list[str] = []
    for entity, m in sorted(misses.items()):
        for kind, examples, total in (("missed", m.missed, m.missed_total), ("spurious", m.spurious, m.spurious_total)):
            if not total:
                continue
            lines.append(f"{entity} {kind}: {total} (showing {len(examples)})")
            for ex in examples:
                note = f"   ({ex.note})" if ex.note else ""
                lines.append(f"  #{ex.sample:<6} {ex.before}[{ex.shape}]{ex.after}{note}")
    return lines
