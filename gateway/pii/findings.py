"""What the PII layer hands to the rest of the gateway.

A `Finding` never carries the matched text: the span (start, end) points into the
message it was found in, which only the request pipeline holds. Everything stored or
logged about a finding comes from this model, so it is safe by construction.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Language = Literal["en", "zh"]


class FindingExplanation(BaseModel):
    """Why the engine believes a span is PII (Presidio's decision process, minus the value)."""

    model_config = ConfigDict(frozen=True)

    recognizer: str
    source: Literal["pattern", "ner", "checksum", "context", "other"] = "pattern"
    pattern_name: str | None = None
    original_score: float
    score_context_improvement: float = 0.0
    supportive_context_word: str | None = None
    validation_result: bool | None = None


class Finding(BaseModel):
    """One detected PII span in one piece of text."""

    model_config = ConfigDict(frozen=True)

    entity_type: str
    start: int
    end: int
    score: float
    language: Language
    explanation: FindingExplanation

    @property
    def recognizer(self) -> str:
        return self.explanation.recognizer
