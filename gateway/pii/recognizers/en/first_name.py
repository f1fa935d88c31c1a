"""PERSON from a list of given names, where the small spaCy model misses or mislabels them.

`en_core_web_sm` labels many non-English given names as ORG or GPE ("Zlata", "Nunzia",
"Halina") or misses lone first names ("Tamara just has to…"). This recognizer reads the
NER pass (`NlpResult.entities`) and a given-name list:

* a spaCy ORG/GPE/LOC/FAC span of at most three capitalised words whose first word is a
  known given name becomes PERSON at 0.9 (above NER's 0.85, so the engine's overlap
  resolution drops the ORG/LOCATION);
* a capitalised given name no entity covers becomes PERSON at 0.6 (followed by another
  capitalised word, both are taken: "Kayla Bengtsson").

Words that are names *and* everyday words ("Will", "May", "Grace", "Bill") are excluded,
as are English stop words.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import regex

from gateway.pii.recognizers.base import NerRecognizer

_WORD = regex.compile(r"\p{Lu}[\p{Ll}'’-]+(?:-\p{Lu}[\p{Ll}]+)?")
_STREET_AFTER = regex.compile(r"\s*(?i:street|st\b|road|rd\b|avenue|ave\b|lane|drive|way\b)")
_NEXT_CAP = regex.compile(r"[ \t]+(\p{Lu}[\p{Ll}'’-]+)")

COMMON_WORDS = frozenset(
    """will may june april august grace hope faith joy mark bill rose lily amber summer dawn
    eve sky art chance china paris sydney austin dallas houston jordan georgia virginia florence
    victoria holly ivy pearl ruby crystal honey candy sunny rich earl duke king prince baron
    major sterling angel christian christmas easter sunday monday friday page brown white green
    black gray grey young long short new big little north south east west street road
    hi hello hey dear thanks thank regards best cheers please sorry yes ok okay sir madam
    god love happy lucky golden silver star sun moon rain storm river lake hill field
    mercedes lexus jaguar dodge ford chevy tesla apple amazon google""".split()
)


def load_given_names(path: Path | None = None, *, min_length: int = 3) -> frozenset[str]:
    """Given names (lower-case) from gender-guesser's `nam_dict.txt` (~45k, 50+ countries)."""
    if path is None:
        import gender_guesser

        path = Path(gender_guesser.__file__).parent / "data" / "nam_dict.txt"
    from spacy.lang.en.stop_words import STOP_WORDS

    names = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line[:1] in "#=" or len(line) < 30:
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            for name in parts[1].replace("+", " ").replace("-", " ").split():
                if len(name) >= min_length and name.isalpha():
                    names.add(name.lower())
    return frozenset(names - COMMON_WORDS - set(STOP_WORDS))


class GivenNameRecognizer(NerRecognizer):
    """See module docstring. Reads the NER pass; `given_names` is injected (lower-case)."""

    RELABEL = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART"})
    LABELS = {"PERSON": "PERSON"}
    SCORE = 0.6
    RELABEL_SCORE = 0.9

    def __init__(self, given_names: Iterable[str], *, supported_language: str = "en", name: str | None = None):
        super().__init__(supported_language=supported_language, name=name)
        self.given_names = frozenset(given_names)

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if "PERSON" not in entities:
            return []
        spans = list(nlp_artifacts.entities) if nlp_artifacts is not None else []
        return self._relabelled(text, spans) + self._uncovered(text, spans)

    def _relabelled(self, text, spans):
        out = []
        for span in spans:
            if span.label not in self.RELABEL:
                continue
            words = text[span.start : span.end].split()
            if (
                1 <= len(words) <= 3
                and all(w[:1].isupper() for w in words)
                and words[0][1:].islower()
                and self._is_name(words[0])
                and not _STREET_AFTER.match(text, span.end, span.end + 12)
            ):
                out.append(self._result(span.start, span.end, self.RELABEL_SCORE, span.label))
        return out

    def _uncovered(self, text, spans):
        out = []
        for match in _WORD.finditer(text):
            start, end = match.span()
            if not self._is_name(match.group()) or any(s.start < end and start < s.end for s in spans):
                continue
            following = _NEXT_CAP.match(text, end)
            if following and following.group(1).lower() not in COMMON_WORDS:
                end = following.end()
            if _STREET_AFTER.match(text, end, end + 12):
                continue  # a street or place in an address line ("Gordon Street", "12 Silvestre")
            out.append(self._result(start, end, self.SCORE, "given_name"))
        return out

    def _is_name(self, word: str) -> bool:
        return word.lower().strip("'’") in self.given_names

    def _result(self, start, end, score, label):
        result = self.ner_result("PERSON", start, end, label)
        result.score = score
        result.analysis_explanation.original_score = score
        result.analysis_explanation.score = score
        return result


__all__ = ["GivenNameRecognizer", "load_given_names"]
