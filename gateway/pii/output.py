"""Scan the model's answer for PII the caller did not send, and act on it per the policy.

The answer is scanned before pseudonyms are restored, so the caller's own pseudonymised
values appear as tokens and are not flagged; what is found was produced by the model (or
passed through unprotected) and gets the policy's output action.

Streaming: text is released as soon as it cannot be part of a value still being written.
The scanner holds back only the trailing word and any run of digit groups before it (a card
or phone number arrives in pieces), analyses what it may release with a little of the text
already released as context, and never cuts inside a finding.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from gateway.pii.actions import ActionApplier, AppliedFinding, resolve_action
from gateway.pii.findings import Finding
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.policy.documents import PiiAction

# A type the policy names no output action for is redacted: the safe default once the
# upstream call has been made (the request can no longer be refused unseen).
FALLBACK_OUTPUT_ACTION = PiiAction(action="redact", rule_id="gateway-output-default")
# Release at least this much at a time (each release is one scan), or a whole clause.
DEFAULT_MIN_RELEASE = 24
_CLAUSE_ENDS = frozenset(".!?;:,\n。！？；：，、")
# Chinese has no spaces between words: its punctuation ends the trailing "word" instead.
_CJK_BREAKS = frozenset("。！？；：，、（）《》“”")
CONTEXT_CHARS = 32
# What may still grow into a finding: the trailing word, and digit groups just before it
# (looked for within the last IN_PROGRESS_MAX characters: a card or phone number is shorter).
IN_PROGRESS_MAX = 64
_DIGIT_GROUP_CHARS = frozenset("0123456789 ().-+")
# Held-back text beyond this is scanned and released anyway, so memory and scan time stay bounded.
MAX_PENDING = 2048

Analyze = Callable[[str], Awaitable[list[Finding]]]


class OutputScanner:
    def __init__(self, *, analyze: Analyze, applier: ActionApplier, actions: Mapping[str, PiiAction],
                 pseudonyms: ConversationPseudonyms, min_release: int = DEFAULT_MIN_RELEASE) -> None:
        self._analyze = analyze
        self._applier = applier
        self._actions = actions
        self._pseudonyms = pseudonyms
        self._min_release = min_release
        self._pending = ""
        self._context = ""  # the end of what was already released, for the detectors
        self._offset = 0  # characters of the answer already released
        self.applied: list[tuple[int, AppliedFinding]] = []

    async def scan_all(self, text: str) -> str:
        self._pending += text
        return await self._release(final=True)

    async def feed(self, text: str) -> str:
        self._pending += text
        return await self._release(final=False)

    async def flush(self) -> str:
        return await self._release(final=True)

    async def _release(self, *, final: bool) -> str:
        text = self._pending
        final = final or len(text) > MAX_PENDING
        cut = len(text) if final else _in_progress_start(text)
        if not text or (not final and cut < self._min_release and not _ends_clause(text[:cut])):
            return ""
        context = self._context
        findings = [
            finding.model_copy(update={"start": finding.start - len(context), "end": finding.end - len(context)})
            for finding in await self._analyze(context + text)
            if finding.end > len(context)
        ]
        for finding in sorted(findings, key=lambda f: f.start, reverse=True):
            if finding.start < cut < finding.end:
                cut = max(0, finding.start)
        if cut <= 0:
            return ""
        # A finding that began in text already released is acted on for the part still here.
        released = [f.model_copy(update={"start": max(0, f.start)}) for f in findings if f.end <= cut]
        actions = {f.entity_type: _output_action(self._actions, f.entity_type) for f in released}
        edited, applied = self._applier.apply(text[:cut], released, actions, self._pseudonyms)
        self.applied.extend((self._offset, item) for item in applied)
        self._offset += cut
        self._pending = text[cut:]
        self._context = (self._context + text[:cut])[-CONTEXT_CHARS:]
        return edited


def _in_progress_start(text: str) -> int:
    """Where the trailing word starts, moved back over digit groups before it (bounded scan)."""
    floor = max(0, len(text) - IN_PROGRESS_MAX)
    start = len(text)
    while start > floor and not (text[start - 1].isspace() or text[start - 1] in _CJK_BREAKS):
        start -= 1
    group = start
    while group > floor and text[group - 1] in _DIGIT_GROUP_CHARS:
        group -= 1
    # Only a run that holds a digit is a number in progress; plain spaces are not.
    if any(char.isdigit() for char in text[group:start]):
        while group < start and not (text[group].isdigit() or text[group] in "+("):
            group += 1
        return group
    return start


def _output_action(actions: Mapping[str, PiiAction], entity_type: str) -> PiiAction:
    action = resolve_action(actions, entity_type) or FALLBACK_OUTPUT_ACTION
    # A token made from the answer would be restorable in a later turn (the caller could ask
    # for "<PERSON_2>" back): in the answer, pseudonymise means redact.
    if action.action == "pseudonymise":
        return action.model_copy(update={"action": "redact"})
    return action


def _ends_clause(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in _CLAUSE_ENDS
