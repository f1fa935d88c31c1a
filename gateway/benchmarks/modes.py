"""The benchmark modes' switches, kept out of the production stages (GOVGATE_PIPELINE_MODE).

    full         production: every stage
    policy       no PII detection (in requests, headers or answers): the proxy plus the policy
    passthrough  as `policy`, and each distinct input document is decided once, then remembered:
                 the proxy alone (auth, routing, ledger)

The app factory swaps these in for the real collaborators; the pipeline does not know the
mode except to write it into every record (benchmark records are marked as such).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from cachetools import LRUCache

from gateway.pii.findings import Finding
from gateway.policy.documents import PolicyInput, PolicyResult, Vocabulary
from gateway.policy.engine import PolicyEngine
from gateway.stages.detection import OutputAnalyzer, PiiDetection
from gateway.stages.policy import PolicySource

REMEMBERED_DECISIONS = 1024


class NoPiiDetection(PiiDetection):
    """Finds nothing in requests, headers or answers (/v1/pii/analyze still analyses)."""

    @property
    def output(self) -> OutputAnalyzer | None:
        return None

    async def detect(self, scans: Sequence[tuple[Any, str]], *, scope: str) -> list[tuple[Any, Finding]]:
        return []

    def holds_pii(self, text: str) -> bool:
        return False


class RememberedDecisions:
    """A PolicySource whose engine decides each distinct input document once (passthrough)."""

    def __init__(self, source: PolicySource) -> None:
        self._source = source
        self._engines: dict[int, _Remembering] = {}
        self._lock = threading.Lock()

    @property
    def engine(self) -> PolicyEngine:
        engine = self._source.engine
        with self._lock:
            remembering = self._engines.get(id(engine))
            if remembering is None or remembering.engine is not engine:
                self._engines = {id(engine): (remembering := _Remembering(engine))}  # a reload forgets
            return remembering


class _Remembering:
    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.performs_io = engine.performs_io
        self.bundle_hash = engine.bundle_hash
        self._results: LRUCache[str, PolicyResult] = LRUCache(maxsize=REMEMBERED_DECISIONS)
        self._lock = threading.Lock()

    def evaluate(self, input: PolicyInput) -> PolicyResult:
        key = input.model_dump_json()
        with self._lock:
            result = self._results.get(key)
        if result is None:
            result = self.engine.evaluate(input)
            with self._lock:
                self._results[key] = result
        return result

    def vocabulary(self) -> Vocabulary:
        return self.engine.vocabulary()
