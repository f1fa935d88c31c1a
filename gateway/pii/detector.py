"""Detection for the request path: the PII engine behind a scoped analysis cache.

A chat call re-sends the whole history every turn, and a bot sends the same system prompt
with every call; a text already analysed in the same scope (a conversation, or else the
calling service) is not analysed again. Scopes are never shared, so no caller can learn from
response times whether another caller sent the same text.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from typing import Protocol

from gateway.pii.errors import PiiInputError
from gateway.pii.findings import Finding


class Analyzer(Protocol):
    @property
    def supported_entities(self) -> list[str]: ...

    def analyze(self, text: str, *, entities: Collection[str] | None = None) -> list[Finding]: ...


class DetectionFailed(Exception):
    """The engine could not analyse a text: the request must not go upstream."""


class TextTooLong(DetectionFailed):
    """A text longer than the engine analyses: the caller's fault (413), not the engine's."""


class PiiDetector:
    def __init__(self, engine: Analyzer, *, cache_size: int) -> None:
        self._engine = engine
        self._cache: OrderedDict[tuple[str, str], list[Finding]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.cache_hits = 0

    def detect(self, texts: Sequence[tuple[str, str]], *, scope: str | None) -> list[tuple[str, Finding]]:
        """(location, finding) for every finding in every text. Blocking: run in a worker thread."""
        found: list[tuple[str, Finding]] = []
        for location, text in texts:
            found.extend((location, finding) for finding in self._analyze(text, scope))
        return found

    @property
    def supported_entities(self) -> list[str]:
        return self._engine.supported_entities

    def analyze(self, text: str, entities: Collection[str] | None = None) -> list[Finding]:
        """Uncached; `entities` limits the search (skipping NER when no NER type is wanted)."""
        return self._analyze(text, None, entities)

    def _analyze(self, text: str, scope: str | None, entities: Collection[str] | None = None) -> list[Finding]:
        if not text:
            return []
        key = (scope, hashlib.sha256(text.encode()).hexdigest()) if scope else None
        if key is not None:
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
                    self.cache_hits += 1
                    return cached
        try:
            findings = self._engine.analyze(text, entities=entities)
        except PiiInputError as exc:
            raise TextTooLong(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 — whatever broke, nothing may pass unscanned
            raise DetectionFailed(type(exc).__name__) from exc
        if key is not None:
            with self._lock:
                self._cache[key] = findings
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return findings
