"""Scan the model's answer for PII the caller did not send, and act on it per the policy.

The answer is scanned before pseudonyms are restored, so the caller's own pseudonymised
values appear as tokens and are not flagged; what is found was produced by the model (or
passed through unprotected) and gets the policy's output action.

Streaming: text is released as soon as it cannot be part of a finding still being written.
The scanner keeps back the last `window` characters (long enough for a card, phone or
e-mail) and never cuts inside a finding.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from gateway.pii.actions import ActionApplier, AppliedFinding
from gateway.pii.findings import Finding
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.policy.documents import PiiAction

# A type the policy names no output action for is redacted: the safe default once the
# upstream call has been made (the request can no longer be refused unseen).
FALLBACK_OUTPUT_ACTION = PiiAction(action="redact", rule_id="gateway-output-default")
DEFAULT_OUTPUT_WINDOW = 32

Analyze = Callable[[str], Awaitable[list[Finding]]]


class OutputScanner:
    def __init__(self, *, analyze: Analyze, applier: ActionApplier, actions: Mapping[str, PiiAction],
                 pseudonyms: ConversationPseudonyms, window: int = DEFAULT_OUTPUT_WINDOW) -> None:
        self._analyze = analyze
        self._applier = applier
        self._actions = actions
        self._pseudonyms = pseudonyms
        self._window = window
        self._pending = ""
        self._offset = 0  # characters of the answer already released
        self.applied: list[tuple[int, AppliedFinding]] = []

    async def scan_all(self, text: str) -> str:
        self._pending += text
        return await self._release(final=True)

    async def feed(self, text: str) -> str:
        self._pending += text
        if len(self._pending) < 2 * self._window:
            return ""
        return await self._release(final=False)

    async def flush(self) -> str:
        return await self._release(final=True)

    async def _release(self, *, final: bool) -> str:
        text = self._pending
        if not text:
            return ""
        findings = await self._analyze(text)
        cut = len(text) if final else len(text) - self._window
        for finding in findings:
            if finding.start < cut < finding.end:
                cut = finding.start
        if cut <= 0:
            return ""
        released = [f for f in findings if f.end <= cut]
        actions = {f.entity_type: self._actions.get(f.entity_type, FALLBACK_OUTPUT_ACTION) for f in released}
        edited, applied = self._applier.apply(text[:cut], released, actions, self._pseudonyms)
        self.applied.extend((self._offset, item) for item in applied)
        self._offset += cut
        self._pending = text[cut:]
        return edited
