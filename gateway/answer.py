"""The answer's way back to the caller: scan it for PII the caller may not see, then restore
the caller's own values where the model wrote pseudonym tokens.

One `AnswerGuard` per answer (per choice). `whole()` serves a complete answer; `feed()` and
`finish()` serve a stream, releasing text as soon as neither step needs to hold it back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from gateway.decision import FindingRecord
from gateway.locations import Location, scan_form
from gateway.offload import run_sized
from gateway.pii.actions import ActionApplier, resolve_action
from gateway.pii.findings import Finding
from gateway.pii.output import FALLBACK_OUTPUT_ACTION, OutputScanner
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.pii.restore import StreamRestorer, restore
from gateway.policy.documents import PolicyResult

_IDENTIFIER = Location((), identifier=True)


class AnswerGuard:
    def __init__(self, *, scanner: OutputScanner | None, tokens: Mapping[str, str], location: str) -> None:
        self._scanner = scanner
        self._tokens = tokens
        self._restorer = StreamRestorer(tokens)
        self.location = location

    async def whole(self, text: str) -> str:
        scanned = await self._scanner.scan_all(text) if self._scanner else text
        return restore(scanned, self._tokens)

    async def identifier(self, text: str, *, replacement: str | None = None) -> str:
        """An identifier (a tool name, a tool-call id) scanned whole, read as words.

        It is not restored, and not rewritten when clean: a finding yields the scan's edit,
        or `replacement` when an edited value would be worse than a new one (an id)."""
        readable = scan_form(_IDENTIFIER, text)
        scanned = await self._scanner.scan_all(readable) if self._scanner else readable
        if scanned == readable:
            return text
        return replacement if replacement is not None else scanned

    async def feed(self, text: str) -> str:
        released = await self._scanner.feed(text) if self._scanner else text
        return self._restorer.feed(released)

    async def finish(self) -> str:
        released = await self._scanner.flush() if self._scanner else ""
        return self._restorer.feed(released) + self._restorer.flush()

    def findings(self) -> list[FindingRecord]:
        """What the output scan found and did, with spans in the whole answer. Never values."""
        if self._scanner is None:
            return []
        return [
            FindingRecord(entity_type=item.finding.entity_type, location=self.location,
                          start=item.finding.start + offset, end=item.finding.end + offset,
                          score=round(item.finding.score, 4), language=item.finding.language,
                          action=item.action, explanation=item.finding.explanation)
            for offset, item in self._scanner.applied
        ]


class OutputAnalyzer(Protocol):
    @property
    def supported_entities(self) -> list[str]: ...

    def analyze(self, text: str, entities: Collection[str] | None = None) -> list[Finding]: ...


class AnswerGuards:
    """The guards of one answer, one per text slot, sharing what the policy decided once:
    which entity types the output scan looks for and which tokens may come back."""

    def __init__(self, *, result: PolicyResult, pseudonyms: ConversationPseudonyms,
                 detector: OutputAnalyzer | None, applier: ActionApplier) -> None:
        """`detector` None: no output scan (the benchmark modes without PII detection)."""
        self._result = result
        self._pseudonyms = pseudonyms
        self._detector = detector
        self._applier = applier
        # Only the types the policy lets back for this purpose: any other token stays a token.
        self._tokens = pseudonyms.restorable(result.restore_pii)
        # Looking only for types whose output action is not `allow` keeps the scan cheap:
        # when names may pass, no NER runs.
        self._wanted = [] if detector is None else [
            entity_type for entity_type in detector.supported_entities
            if (resolve_action(result.output_pii_actions, entity_type) or FALLBACK_OUTPUT_ACTION).action != "allow"]

    def for_location(self, location: str) -> AnswerGuard:
        return AnswerGuard(scanner=self._scanner(), tokens=self._tokens, location=location)

    def _scanner(self) -> OutputScanner | None:
        detector, wanted = self._detector, self._wanted
        if detector is None or not wanted:
            return None

        async def analyze(text: str) -> list[Finding]:
            # A streamed answer is scanned a few words at a time: mostly inline (gateway.offload).
            return await run_sized(lambda: detector.analyze(text, wanted), chars=len(text))

        return OutputScanner(analyze=analyze, applier=self._applier, actions=self._result.output_pii_actions,
                             pseudonyms=self._pseudonyms)
