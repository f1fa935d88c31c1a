"""One request in flight: the decision record being filled in, and its clocks."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.decision import DecisionRecord, FindingRecord
from gateway.pii.actions import AppliedFinding


@dataclass
class Trace:
    """One request in flight: the decision record being filled and its clocks."""

    record: DecisionRecord
    started: float = field(default_factory=time.perf_counter)
    upstream_ms: float = 0.0

    @classmethod
    def start(cls, kind: str) -> Trace:
        record = DecisionRecord(decision_id=f"dec_{uuid.uuid4().hex}", created_at=datetime.now(UTC), kind=kind)
        return cls(record=record)

    @property
    def decision_id(self) -> str:
        return self.record.decision_id

    def finish(self, status_code: int, error_code: str | None = None) -> DecisionRecord:
        timings = self.record.timings
        timings.total = round((time.perf_counter() - self.started) * 1000, 3)
        timings.upstream_total = round(self.upstream_ms, 3) if self.record.route.attempts else None
        timings.overhead = round(timings.total - self.upstream_ms, 3)
        self.record.status_code = status_code
        self.record.error_code = error_code
        return self.record


def ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def finding_records(location: str, applied: list[AppliedFinding]) -> list[FindingRecord]:
    return [
        FindingRecord(entity_type=item.finding.entity_type, location=location, start=item.finding.start,
                      end=item.finding.end, score=round(item.finding.score, 4), language=item.finding.language,
                      action=item.action, explanation=item.finding.explanation)
        for item in applied
    ]
