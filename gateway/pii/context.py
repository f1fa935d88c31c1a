"""Context enhancement: raise a score when a telling word sits just before the match.

Presidio's `LemmaContextAwareEnhancer` compares spaCy lemmas of the N tokens around a
match with the recognizer's context words. We do not run a lemmatizer (the English
pipeline keeps only `ner`, see `gateway.pii.nlp.en`) and Chinese has no spaces to count words
by, so we look at a *character window* instead:

* English: the 40 characters before the match (~6 words) and 12 after; a context word
  must start at a word boundary, and may be followed by letters, so "cards" counts for "card";
* Chinese: the 12 characters before and 4 after, substring match ("身份证号码是" contains
  "身份证").

The arithmetic is Presidio's: +`similarity_factor`, at least `min_score_with_context`,
at most 1.0, and the explanation records the word and the improvement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult

from gateway.pii.findings import Language


@dataclass(frozen=True)
class ContextWindow:
    before: int
    after: int


DEFAULT_WINDOWS: Mapping[str, ContextWindow] = {
    "en": ContextWindow(before=40, after=12),
    "zh": ContextWindow(before=12, after=4),
}


class WindowContextEnhancer:
    """Boosts results whose recognizer's context words occur near the match."""

    def __init__(
        self,
        *,
        similarity_factor: float = 0.35,
        min_score_with_context: float = 0.4,
        windows: Mapping[str, ContextWindow] = DEFAULT_WINDOWS,
    ) -> None:
        self.similarity_factor = similarity_factor
        self.min_score_with_context = min_score_with_context
        self.windows = dict(windows)
        self._patterns: dict[str, regex.Pattern | None] = {}

    def prepare(self, recognizers: Iterable[EntityRecognizer]) -> None:
        """Compile each recognizer's context words once (called by the engine at build)."""
        for rec in recognizers:
            words = sorted({w.strip().lower() for w in (rec.context or []) if w.strip()}, key=len, reverse=True)
            if not words:
                self._patterns[rec.id] = None
                continue
            alternatives = "|".join(
                (r"(?<![a-z])" if w[0].isascii() and w[0].isalnum() else "") + regex.escape(w) for w in words
            )
            self._patterns[rec.id] = regex.compile(f"(?:{alternatives})", regex.IGNORECASE)

    def enhance(
        self,
        text: str,
        results: list[RecognizerResult],
        language: Language,
    ) -> list[RecognizerResult]:
        window = self.windows[language]
        for result in results:
            rec_id = (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY)
            pattern = self._patterns.get(rec_id)
            if pattern is None or result.score >= 1.0:
                continue
            word = self._supportive_word(text, result, window, pattern)
            if word is not None:
                self._boost(result, word)
        return results

    @staticmethod
    def _supportive_word(text: str, result: RecognizerResult, window: ContextWindow, pattern: regex.Pattern):
        before = pattern.search(text, max(0, result.start - window.before), result.start)
        if before is not None:
            return before.group(0).lower()
        after = pattern.search(text, result.end, min(len(text), result.end + window.after))
        return after.group(0).lower() if after is not None else None

    def _boost(self, result: RecognizerResult, word: str) -> None:
        before = result.score
        score = max(result.score + self.similarity_factor, self.min_score_with_context)
        result.score = min(score, EntityRecognizer.MAX_SCORE)
        explanation = result.analysis_explanation
        if explanation is not None:
            explanation.set_supportive_context_word(word)
            # Relative to the score before the boost, not to the pattern's original score:
            # a failed checksum may already have lowered it.
            explanation.score = result.score
            explanation.score_context_improvement = result.score - before
        result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
