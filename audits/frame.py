"""The audit's data: one row per audited decision, loaded through `DecisionLog.batches`.

Each batch becomes a pyarrow RecordBatch with the metric columns already derived (a latency
only for a completed request, an outcome indicator only where an outcome was reported), so
the SQL in audits/metrics.py reads plain columns. Attribute values are caller input: they
are data here, never SQL; attributes become columns named by position (a0, a1, …).

Left out: benchmark records (stages switched off) and kinds the audit does not cover
(aggregate refusals, embeddings, …); both are counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from gateway.outcome import BUILTIN_OUTCOMES
from gateway.store.decision_log import DecisionLog

UNKNOWN = "unknown"
REDACTING = frozenset({"redact", "mask", "hash", "pseudonymise"})
_READ = (
    "decision_id", "created_at", "source", "kind", "model", "policy.bundle_hash", "policy.pipeline_mode",
    "allowed", "stage", "findings", "customer_attributes", "timings.upstream_ttft", "timings.client_ttfb",
    "timings.client_total", "timings.total", "features.message_chars", "features.language", "features.turns",
    "features.channel", "outcome", "csat",
)
_SCHEMA = pa.schema([
    ("created_at", pa.timestamp("us", tz="UTC")), ("source", pa.string()), ("bundle_hash", pa.string()),
    ("model", pa.string()), ("language", pa.string()), ("channel", pa.string()),
    ("message_chars", pa.float64()), ("turns", pa.float64()),
    ("ttft", pa.float64()), ("upstream_ttft", pa.float64()), ("latency", pa.float64()),
    ("blocked", pa.float64()), ("refused", pa.float64()), ("redacted", pa.float64()),
    *((f"o_{code}", pa.float64()) for code in BUILTIN_OUTCOMES), ("csat", pa.float64()),
])


@dataclass
class AuditFrame:
    """The loaded rows (arrow), the attribute each column a<i> holds, and what was left out."""

    table: pa.Table
    attributes: list[str]  # column a<i> holds attributes[i]
    left_out: dict[str, int] = field(default_factory=dict)

    def column_of(self, attribute: str) -> str:
        return f"a{self.attributes.index(attribute)}"


def load(log: DecisionLog, *, since: datetime | None, until: datetime | None, kinds: Iterable[str],
         batch_size: int = 10_000) -> AuditFrame:
    kinds = frozenset(kinds)
    left_out: Counter[str] = Counter()
    batches: list[pa.RecordBatch] = []
    attribute_rows: list[list[dict[str, str]]] = []
    for batch in log.batches(since=since, until=until, columns=_READ, size=batch_size, with_outcomes=True):
        keep = []
        for i, (mode, kind) in enumerate(zip(batch["policy.pipeline_mode"], batch["kind"], strict=True)):
            if mode != "full":
                left_out["benchmark"] += 1
            elif kind not in kinds:
                left_out[f"kind:{kind}"] += 1
            else:
                keep.append(i)
        if keep:
            batches.append(_derive(batch, keep))
            attribute_rows.append([batch["customer_attributes"][i] or {} for i in keep])
    names = sorted({key for rows in attribute_rows for row in rows for key in row})
    table = pa.Table.from_batches(batches, schema=_SCHEMA) if batches else _SCHEMA.empty_table()
    for position, name in enumerate(names):
        values = [_category(row.get(name)) for rows in attribute_rows for row in rows]
        table = table.append_column(f"a{position}", pa.array(values, pa.string()))
    return AuditFrame(table=table, attributes=names, left_out=dict(left_out))


def _category(value: Any) -> str:
    """A missing or empty value is the group "unknown": counted and reported, never dropped."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return UNKNOWN
    return str(value)


def _derive(batch: dict[str, list[Any]], keep: list[int]) -> pa.RecordBatch:
    def take(name: str) -> Iterator[Any]:
        column = batch[name]
        return (column[i] for i in keep)

    completed = [stage == "completed" for stage in take("stage")]
    outcomes = list(take("outcome"))

    def when_completed(values: Iterable[Any]) -> list[float | None]:
        return [float(v) if done and v is not None else None for v, done in zip(values, completed, strict=True)]

    latency = [client if client is not None else total
               for client, total in zip(take("timings.client_total"), take("timings.total"), strict=True)]
    columns: dict[str, list[Any]] = {
        "created_at": list(take("created_at")),
        "source": list(take("source")),
        "bundle_hash": list(take("policy.bundle_hash")),
        "model": list(take("model")),
        "language": list(take("features.language")),
        "channel": list(take("features.channel")),
        "message_chars": [float(v) if v is not None else None for v in take("features.message_chars")],
        "turns": [float(v) if v is not None else None for v in take("features.turns")],
        "ttft": when_completed(take("timings.client_ttfb")),
        "upstream_ttft": when_completed(take("timings.upstream_ttft")),
        "latency": when_completed(latency),
        # Refused by the policy (allowed false); null when the policy never decided.
        "blocked": [None if allowed is None else float(not allowed) for allowed in take("allowed")],
        # Did not complete, at whatever stage (admission, policy, upstream failure, …).
        "refused": [float(not done) for done in completed],
        "redacted": [float(any(f.action in REDACTING for f in findings or ())) for findings in take("findings")],
        # The decision's latest outcome (gateway/store/columns.py); null: none reported.
        **{f"o_{code}": [None if o is None else float(o == code) for o in outcomes] for code in BUILTIN_OUTCOMES},
        "csat": [float(v) if v is not None else None for v in take("csat")],
    }
    return pa.RecordBatch.from_pydict(columns, schema=_SCHEMA)
