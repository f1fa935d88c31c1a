"""The answer's way back to the caller: scan it for PII the caller may not see, then restore
the caller's own values where the model wrote pseudonym tokens.

One `AnswerGuard` per answer (per choice). `whole()` serves a complete answer; `feed()` and
`finish()` serve a stream, releasing text as soon as neither step needs to hold it back.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.decision import FindingRecord
from gateway.locations import Location, scan_form
from gateway.pii.output import OutputScanner
from gateway.pii.restore import StreamRestorer, restore

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
