"""The NLP pass's interface: what a backend returns and what recognizers read.

Every backend (`gateway.pii.nlp.en` for spaCy, `gateway.pii.nlp.zh` for LAC) runs its model
once per message and returns an `NlpResult`: spans with offsets into the message, never text.
The engine hands it to recognizers as Presidio's `nlp_artifacts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gateway.pii.findings import Language


@dataclass(frozen=True)
class NerSpan:
    """A span the NER model labelled; `label` is the model's own tag (PERSON, GPE, PER, LOC…)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Token:
    """A word with its tag (LAC only; the Chinese address recognizer merges on them)."""

    start: int
    end: int
    tag: str


@dataclass(frozen=True)
class NlpResult:
    """What the NLP pass found in one message. Recognizers receive it as `nlp_artifacts`."""

    language: Language
    entities: tuple[NerSpan, ...] = ()
    tokens: tuple[Token, ...] = field(default=(), repr=False)

    def merged(self, other: NlpResult) -> NlpResult:
        return NlpResult(self.language, self.entities + other.entities, self.tokens + other.tokens)


class NlpBackend(Protocol):
    language: Language

    def process(self, text: str, *, windows: Sequence[tuple[int, int]] | None = None) -> NlpResult:
        """Analyse `text` (or only the given windows of it); offsets refer to `text`."""
        ...


class BlankNlpBackend:
    """Finds nothing. For tests and for deployments that want patterns only."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def process(self, text: str, *, windows: Sequence[tuple[int, int]] | None = None) -> NlpResult:
        return NlpResult(self.language)

