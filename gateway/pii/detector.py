"""Detection for the request path: the PII engine behind a scoped analysis cache.

A chat call re-sends the whole history every turn, and a bot sends the same system prompt
with every call; a text already analysed in the same scope (a conversation, or else the
calling service) is not analysed again. Scopes are never shared, so no caller can learn from
response times whether another caller sent the same text.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection, Sequence
from typing import Protocol

from cachetools import LRUCache

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
        # None when switched off (a size below 1): cachetools refuses to store into a cache of size 0.
        self._cache: LRUCache[tuple[str, str], list[Finding]] | None = LRUCache(cache_size) if cache_size > 0 else None
        # detect() runs in worker threads, and cachetools caches are not thread-safe.
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
        cache = self._cache
        key = (scope, hashlib.sha256(text.encode()).hexdigest()) if scope else None
        if key is not None and cache is not None:
            with self._lock:
                cached = cache.get(key)  # a hit becomes the most recently used
                if cached is not None:
                    self.cache_hits += 1
                    return cached
        try:
            findings = self._engine.analyze(text, entities=entities)
        except PiiInputError as exc:
            raise TextTooLong(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 — whatever broke, nothing may pass unscanned
            raise DetectionFailed(type(exc).__name__) from exc
        if key is not None and cache is not None:
            with self._lock:
                cache[key] = findings
        return findings
