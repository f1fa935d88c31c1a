"""LOCATION from a gazetteer of countries, regions and large cities (`gateway/pii/data/places_en.txt`).

spaCy's small model misses many place names, most of all non-English ones and those
written natively ("Göteborg", "Jyväskylä", "Nederland") or in an address-like line
("00100 Helsinki"). A look-up over capitalised words adds them:

* the text's capitalised words (and all-capital short forms: UK, USA) are matched
  against the list, longest name first (up to four words: "Rio Grande do Sul");
* names that are also given names or everyday words (marked `*` in the file: "Georgia",
  "Nice", "Reading", "Victoria") count only right after a locative word ("in", "to",
  "from", "near", "based in" …);
* a name inside a person's name, an e-mail or a URL is skipped by its guards.

A listed place scores 0.9, so it wins over the model's reading, when spaCy labelled exactly
it ORG/PRODUCT ("Jyväskylä" → ORG), ran an entity over it across a line break, number or
bracket ("AB Amsterdam\nNederland" → ORG), or called it a PERSON right after a locative
word ("in Pisa", "from Roma"; not after a bare "to": "talk to Florence"). Otherwise score 0.55: below spaCy's 0.85 and the address patterns' 0.6, so a place inside a longer
LOCATION, a PERSON ("Paris Hilton") or an ADDRESS span gives way to it. Source "ner" (it is
lexical evidence, like the model's): the engine's conflict rule then compares scores only.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import regex

from gateway.pii.recognizers.base import NerRecognizer

PLACES_FILE = Path(__file__).resolve().parents[2] / "data" / "places_en.txt"
_MAX_WORDS = 4

_WORD = regex.compile(r"(?<![\p{L}\d@._/-])(?:[A-Z]\.[A-Z]\.(?:[A-Z]\.)?|\p{Lu}[\p{L}'’]*(?:-\p{L}[\p{L}'’]*)*\.?)(?![\p{L}\d@_/])")
_LOCATIVE_BEFORE = regex.compile(
    r"(?i)(?<![\p{L}])(?:in|to|from|at|near|into|via|visit|visiting|around|across|outside|inside|of|"
    r"based\s+in|live\s+in|lives\s+in|located\s+in|moved\s+to|flight\s+to|travel(?:l?ing)?\s+to)[ \t]+(?:the[ \t]+)?$"
)
_NOT_AFTER = regex.compile(r"[ \t]*@")
_PLACE_CUE_BEFORE = regex.compile(
    r"(?i)(?<![\p{L}])(?:in|from|at|near|into|visit|visiting|based\s+in|live\s+in|lives\s+in|located\s+in|"
    r"(?:moved|relocated|flight|flying|shipped|delivered|travel(?:l?ing)?|going|sent)\s+to)[ \t]+(?:the[ \t]+)?$"
)
_JUNK_SPAN = regex.compile(r"[\n\d(\[]")


def load_places(path: Path = PLACES_FILE) -> tuple[frozenset[str], frozenset[str]]:
    """(names, ambiguous names) from the gazetteer file."""
    names: set[str] = set()
    ambiguous: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith(" *"):
            line = line[:-2].strip()
            ambiguous.add(line)
        names.add(line)
    return frozenset(names), frozenset(ambiguous)


class PlaceGazetteerRecognizer(NerRecognizer):
    """See module docstring. Reads no NLP output; it is an NerRecognizer for its source tag."""

    LABELS = {"GAZETTEER": "LOCATION"}
    SCORE = 0.55
    RELABEL = frozenset({"ORG", "PRODUCT", "NORP", "WORK_OF_ART"})
    RELABEL_SCORE = 0.9

    def __init__(
        self,
        names: Iterable[str] | None = None,
        ambiguous: Iterable[str] = (),
        *,
        supported_language: str = "en",
        name: str | None = None,
    ) -> None:
        super().__init__(supported_language=supported_language, name=name)
        if names is None:
            names, ambiguous = load_places()
        self.names = frozenset(names)
        self.ambiguous = frozenset(ambiguous)
        # "the Netherlands": a leading lower-case article is part of some names.
        self._by_first: dict[str, set[int]] = {}
        for place in self.names:
            words = place.split()
            if words[0] == "the":
                words = words[1:]
            self._by_first.setdefault(words[0], set()).add(len(words))

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if "LOCATION" not in entities:
            return []
        model_spans = list(nlp_artifacts.entities) if nlp_artifacts is not None else []
        relabel = {(span.start, span.end) for span in model_spans if span.label in self.RELABEL}
        people = {(span.start, span.end) for span in model_spans if span.label == "PERSON"}
        # Spans the model ran over a line break, a number or a bracket ("AB Amsterdam\nNederland"
        # as ORG, "Monterrey (Mexico)"): not a reading of the place inside them.
        junk = [(span.start, span.end) for span in model_spans
                if span.label != "PERSON" and _JUNK_SPAN.search(text, span.start, span.end)]
        out = []
        covered_to = 0
        for word in _WORD.finditer(text):
            start = word.start()
            if start < covered_to:
                continue
            first = word.group()
            if first not in self._by_first and first.rstrip(".") not in self._by_first:
                continue  # most capitalised words start no place name: skip the tokenising
            found = self._longest(text, start)
            if found is None:
                continue
            place, end = found
            covered_to = end
            if place in self.ambiguous and not _LOCATIVE_BEFORE.search(text, max(0, start - 24), start):
                continue
            if _NOT_AFTER.match(text, end):
                continue
            result = self.ner_result("LOCATION", start, end, "GAZETTEER")
            strong = (
                (start, end) in relabel
                or any(s <= start and end <= e for s, e in junk)
                # "in Pisa", "from Roma": the model's PERSON reading loses to a listed place
                # after a locative word (not bare "to": "talk to Florence").
                or ((start, end) in people and place not in self.ambiguous
                    and _PLACE_CUE_BEFORE.search(text, max(0, start - 24), start) is not None)
            )
            if strong:
                # spaCy read a listed place as an organisation or product ("Jyväskylä" → ORG):
                # above its 0.85 so the engine keeps the place.
                result.score = result.analysis_explanation.score = self.RELABEL_SCORE
            out.append(result)
        return out

    def _longest(self, text: str, start: int) -> tuple[str, int] | None:
        """(place, end) of the longest gazetteer name starting at `start`."""
        tokens = []
        for token in _TOKEN.finditer(text, start, min(len(text), start + 80)):
            tokens.append(token)
            if len(tokens) == _MAX_WORDS:
                break
        if not tokens or tokens[0].start() != start:
            return None
        first = tokens[0].group("w")
        lengths = self._by_first.get(first) or self._by_first.get(first + tokens[0].group("p")[:1])
        if not lengths:
            return None
        for n in sorted(lengths, reverse=True):
            if n > len(tokens):
                continue
            inner = tokens[: n - 1]
            # Words of one name: one space apart, no punctuation inside but an abbreviation dot.
            if any(text[t.end() : u.start()] != " " or t.group("p") not in ("", ".") for t, u in zip(inner, tokens[1:n])):
                continue
            phrase = " ".join([t.group("w") + t.group("p") for t in inner] + [tokens[n - 1].group("w")])
            end = tokens[n - 1].start() + len(tokens[n - 1].group("w"))
            candidates = [(phrase, end)]
            if tokens[n - 1].group("p").startswith("."):
                candidates.append((phrase + ".", end + 1))
            for candidate, candidate_end in reversed(candidates):
                for name in (candidate, "the " + candidate):
                    if name in self.names:
                        return name, candidate_end
        return None


# A whitespace-separated token: the word and trailing punctuation (kept apart).
_TOKEN = regex.compile(r"(?P<w>[^\s,;:!?()\[\]\"“”]+?)(?P<p>[.,;:!?()\[\]\"“”]*)(?=\s|$)")


__all__ = ["PlaceGazetteerRecognizer", "load_places", "PLACES_FILE"]
