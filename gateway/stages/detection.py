"""Detection: the PII in the request's texts, as findings on the locations they came from.

Failures become the caller's errors here, fail closed: a text too long to scan is a 413, a
detector that cannot do its job a 503 (and then nothing goes upstream).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Any, Protocol

import anyio.to_thread

from gateway.errors import PayloadTooLarge, ServiceUnavailable, describe_fault
from gateway.locations import Location
from gateway.offload import run_sized
from gateway.pii.detector import DetectionFailed, PiiDetector, TextTooLong
from gateway.pii.errors import PiiInputError
from gateway.pii.findings import Finding, Language
from gateway.pii.language import LanguageChooser

log = logging.getLogger(__name__)

# The record's language is chosen on the request's first characters: enough to tell English
# from Chinese, and cheap on a long text.
LANGUAGE_SAMPLE_CHARS = 20_000


class TextAnalyzer(Protocol):
    """The PII engine's own analyze (language hints included), for /v1/pii/analyze, and its
    choice of a text's language."""

    def analyze(self, text: str, *, language: Language | None = None) -> list[Finding]: ...

    def choose_language(self, text: str) -> Language: ...


class OutputAnalyzer(Protocol):
    """What the answer's scan needs: the types it can find, and a scan for some of them."""

    @property
    def supported_entities(self) -> list[str]: ...

    def analyze(self, text: str, entities: Collection[str] | None = None) -> list[Finding]: ...


class PiiDetection:
    def __init__(self, detector: PiiDetector, *, analyzer: TextAnalyzer | None = None) -> None:
        """`analyzer`: the engine with language hints (/v1/pii/analyze); without one, the detector."""
        self._detector = detector
        self._analyzer = analyzer
        self._chooser = LanguageChooser()  # without an engine: the engine's default choice

    @property
    def output(self) -> OutputAnalyzer | None:
        """What scans answers; None: answers are not scanned (benchmark modes)."""
        return self._detector

    async def detect(self, scans: Sequence[tuple[Any, str]], *, scope: str) -> list[tuple[Any, Finding]]:
        """Findings per scanned text; `scope` keys the detector's cache (a conversation or a caller)."""
        try:
            return await run_sized(lambda: self._detector.detect(scans, scope=scope),
                                   chars=sum(len(text) for _, text in scans))
        except TextTooLong as exc:
            raise PayloadTooLarge(str(exc), code="text_too_long") from None
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed; the request was not sent upstream",
                                     code="pii_detection_failed") from None

    def language_of(self, text: str) -> Language | None:
        """The text's primary language as the PII engine would choose it; None: no text.
        Benchmark modes without detection choose the same way (it is a character count)."""
        sample = text[:LANGUAGE_SAMPLE_CHARS]
        if not sample.strip():
            return None
        if self._analyzer is not None:
            return self._analyzer.choose_language(sample)
        return self._chooser.choose(sample)

    def holds_pii(self, text: str) -> bool:
        """Whether a header value carries PII (short texts: inline)."""
        try:
            return bool(self._detector.analyze(text))
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed; the request was not sent upstream",
                                     code="pii_detection_failed") from None

    async def analyze(self, text: str, language: Language | None, *, decision_id: str) -> list[Finding]:
        """Findings only, for /v1/pii/analyze (in a worker thread: the text may be long)."""
        try:
            if self._analyzer is None:
                detector = self._detector
                return [f for _, f in await anyio.to_thread.run_sync(
                    lambda: detector.detect([(Location(("text",)), text)], scope=None))]
            analyzer = self._analyzer
            return await anyio.to_thread.run_sync(lambda: analyzer.analyze(text, language=language))
        except (PiiInputError, TextTooLong) as exc:
            raise PayloadTooLarge(str(exc), code="text_too_long", param="text") from None
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed", code="pii_detection_failed") from None
        except Exception as exc:  # noqa: BLE001 — a detector fault is the service's, never a 500 with a trace
            log.error("PII analysis failed in decision %s: %s", decision_id, describe_fault(exc))
            raise ServiceUnavailable("PII detection failed", code="pii_detection_failed") from None
