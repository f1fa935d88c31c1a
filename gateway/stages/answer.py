"""The answer's way back to the caller: scan it for PII the caller may not see, then restore
the caller's own values where the model wrote pseudonym tokens.

One `AnswerGuard` per text slot of an answer (a choice's content, a tool call's arguments…).
`whole()` serves a complete answer; `feed()` and `finish()` serve a stream, releasing text as
soon as neither step needs to hold it back. `guard_completion` runs a whole completion through
its guards; `gateway.stages.relay` does the same for a stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.answer_shape import MalformedAnswer, new_call_id, shape_completion, shape_embeddings
from gateway.decision import FindingRecord
from gateway.errors import ServiceUnavailable, UpstreamFailed
from gateway.locations import Location, replace_texts, scan_form
from gateway.offload import run_sized
from gateway.pii.actions import ActionApplier, resolve_action
from gateway.pii.detector import DetectionFailed
from gateway.pii.findings import Finding
from gateway.pii.output import FALLBACK_OUTPUT_ACTION, OutputScanner
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.pii.restore import StreamRestorer, restore
from gateway.policy.documents import PolicyResult
from gateway.stages.detection import OutputAnalyzer

_IDENTIFIER = Location((), identifier=True)


class AnswerGuard:
    def __init__(self, *, scanner: OutputScanner | None, tokens: Mapping[str, str], location: Location) -> None:
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
        return [FindingRecord.of(item.finding, location=str(self.location), action=item.action, offset=offset)
                for offset, item in self._scanner.applied]


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

    def for_location(self, location: Location) -> AnswerGuard:
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


@dataclass(frozen=True)
class GuardedCompletion:
    answer: dict[str, Any]  # what the caller gets
    findings: list[FindingRecord]  # what the guards found (never values)
    answer_chars: int  # the texts the caller gets, identifiers aside (ids, names)


async def guard_completion(answer: dict[str, Any], guards: AnswerGuards, *, completion_id: str,
                           model: str | None) -> GuardedCompletion:
    """The completion rebuilt from known fields, every text in it through its own guard; and
    what the guards found."""
    findings: list[FindingRecord] = []
    answer_chars = 0
    try:
        answer, texts = shape_completion(answer, completion_id=completion_id, model=model)
        replacements: dict[Location, str] = {}
        for location, text in texts:
            guard = guards.for_location(location)
            if location.identifier:
                replacement = new_call_id() if location.path[-1] == "id" else None
                guarded = await guard.identifier(text, replacement=replacement)
            else:
                guarded = await guard.whole(text)
                answer_chars += len(guarded)
            if guarded != text:
                replacements[location] = guarded
            findings.extend(guard.findings())
    except DetectionFailed:
        raise ServiceUnavailable("the answer could not be scanned for PII and was withheld",
                                 code="pii_detection_failed") from None
    except MalformedAnswer as exc:
        raise UpstreamFailed(f"the upstream answer is malformed: {exc}", code="upstream_malformed") from None
    return GuardedCompletion(replace_texts(answer, replacements), findings, answer_chars)


def guard_embeddings(answer: dict[str, Any], *, model: str | None) -> dict[str, Any]:
    """Embeddings carry no text: only their shape is checked."""
    try:
        return shape_embeddings(answer, model=model)
    except MalformedAnswer as exc:
        raise UpstreamFailed(f"the upstream answer is malformed: {exc}", code="upstream_malformed") from None
