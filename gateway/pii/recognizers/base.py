"""Shared plumbing for GovGate's pattern and NER recognizers.

`GovPatternRecognizer` differs from Presidio's `PatternRecognizer` in three ways:

* patterns are compiled once, in the constructor: Presidio compiles lazily on first use and
  stores the result on the shared `Pattern`, which is a write race when the gateway's
  thread pool calls the same recognizer concurrently;
* a failed checksum *lowers* the score to `INVALID_SCORE` instead of dropping the match:
  a mistyped ID number is still someone's ID number, and the policy may want to act on it;
* the default flags include `regex.ASCII`, so `\\b`, `\\w` and `\\d` mean ASCII: Chinese
  characters are word characters in Unicode mode, which makes `\\b4111…\\b` miss a card
  number glued to Chinese text (`卡号4111111111111111谢谢`). Our own patterns use explicit
  lookarounds `(?<![0-9A-Za-z])…(?![0-9A-Za-z])` as well, so they never depend on the flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import regex
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

# Flags for every pattern that may see Chinese text.
ASCII_REGEX_FLAGS = regex.DOTALL | regex.MULTILINE | regex.IGNORECASE | regex.ASCII

# Left/right guards for "a token made of ASCII letters and digits", valid in any script.
L_GUARD = r"(?<![0-9A-Za-z])"
R_GUARD = r"(?![0-9A-Za-z])"

# recognition_metadata key telling the engine how a result was found (see Finding.explanation).
SOURCE_KEY = "govgate_source"


class GovPatternRecognizer(PatternRecognizer):
    """A pattern recognizer with precompiled patterns and lowering (not dropping) checksums."""

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]] = []
    CONTEXT: ClassVar[list[str]] = []
    # Score of a match whose checksum holds / fails. None for INVALID_SCORE means "drop".
    VALID_SCORE: ClassVar[float] = EntityRecognizer.MAX_SCORE
    INVALID_SCORE: ClassVar[float | None] = None

    def __init__(
        self,
        *,
        supported_language: str,
        patterns: Sequence[Pattern] | None = None,
        context: Sequence[str] | None = None,
        supported_entity: str | None = None,
        name: str | None = None,
        regex_flags: int = ASCII_REGEX_FLAGS,
    ) -> None:
        super().__init__(
            supported_entity=supported_entity or self.ENTITY,
            name=name,
            supported_language=supported_language,
            patterns=list(patterns if patterns is not None else self.PATTERNS),
            context=list(context if context is not None else self.CONTEXT),
            global_regex_flags=regex_flags,
        )
        self._compiled = [(p, regex.compile(p.regex, flags=regex_flags)) for p in self.patterns]

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        results = [r for p, rx in self._compiled for r in self._matches(text, p, rx)]
        return EntityRecognizer.remove_duplicates(results)

    def _matches(self, text: str, pattern: Pattern, rx: regex.Pattern) -> list[RecognizerResult]:
        out = []
        for match in rx.finditer(text):
            start, end = match.span("value") if "value" in rx.groupindex else match.span()
            if start == end:
                continue
            value = text[start:end]
            if self.invalidate_result(value):
                continue
            valid = self.validate_result(value)
            score = self._score(pattern.score, valid)
            if score is None:
                continue
            explanation = self.build_regex_explanation(
                self.name, pattern.name, pattern.regex, pattern.score, valid, self.global_regex_flags
            )
            explanation.score = score
            source = "pattern" if valid is None else "checksum"
            out.append(explained_result(self, self.supported_entities[0], start, end, score, explanation, source))
        return out

    def _score(self, pattern_score: float, valid: bool | None) -> float | None:
        if valid is None:
            return pattern_score
        return self.VALID_SCORE if valid else self.INVALID_SCORE


class NerRecognizer(LocalRecognizer):
    """Turns the NLP pass's entity spans (`NlpResult.entities`) into results.

    Subclasses set `LABELS` (model label -> GovGate entity type) and `SCORE`. The model
    runs once per message in the engine; this class only maps labels, so it is cheap.
    """

    LABELS: ClassVar[dict[str, str]] = {}
    SCORE: ClassVar[float] = 0.85

    def __init__(
        self,
        *,
        supported_language: str,
        labels: dict[str, str] | None = None,
        score: float | None = None,
        name: str | None = None,
    ) -> None:
        self.labels = dict(labels if labels is not None else self.LABELS)
        self.score = self.SCORE if score is None else score
        super().__init__(
            supported_entities=sorted(set(self.labels.values())),
            supported_language=supported_language,
            name=name,
        )

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if nlp_artifacts is None:
            return []
        wanted = set(entities)
        results = []
        for span in nlp_artifacts.entities:
            entity = self.labels.get(span.label)
            if entity is None or entity not in wanted or not self.keep(text, span.start, span.end):
                continue
            results.append(self.ner_result(entity, span.start, span.end, span.label))
        return results

    def keep(self, text: str, start: int, end: int) -> bool:
        """Hook to reject spans the model is known to get wrong."""
        return True

    def ner_result(self, entity: str, start: int, end: int, label: str) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=self.score,
            textual_explanation=f"NER label {label}",
        )
        return RecognizerResult(
            entity,
            start,
            end,
            self.score,
            explanation,
            {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                SOURCE_KEY: "ner",
            },
        )


def explained_result(recognizer: EntityRecognizer, entity_type: str, start: int, end: int, score: float,
                     explanation: AnalysisExplanation, source: str) -> RecognizerResult:
    """A Presidio result that names its recognizer and its kind of evidence (SOURCE_KEY)."""
    return RecognizerResult(entity_type, start, end, score, explanation, {
        RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        SOURCE_KEY: source,
    })
