"""Exporting the decision log: OPA decision-log events, the records as JSON lines, Parquet.

Reads only through `DecisionLog` (its windows stream by keyset pages, so memory stays bounded
by a page, or a Parquet batch, whatever the window). Nothing is added that the records do not
hold, so an export carries no raw PII either: the records hold none (docs/decision-record.md).

- `opa`: one OPA decision-log event per line (docs/operations.md, "Export", lists the fields),
  for a SIEM or OPA tooling. Every decision is an event, those the policy never saw included
  (a refusal before the policy ran, an imported record without a policy document): their
  `input`/`result` are null and `error` says where the request stopped, so the count of
  events is the count of decisions.
- `jsonl`: each record as the decision API gives it, with its outcomes under `outcomes`.
- `parquet`: a flat table, one row per decision (`PARQUET_COLUMNS`), written batch by batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from gateway import __version__
from gateway.decision import DecisionRecord
from gateway.policy.bundle import ENTRYPOINT
from gateway.store.decision_log import DecisionLog

ExportFormat = Literal["opa", "jsonl", "parquet"]
FORMATS: tuple[str, ...] = ExportFormat.__args__  # type: ignore[attr-defined]
# The query the gateway asks of every policy engine (data.govgate.decision), as OPA's events
# name it: the rule path, slash-separated, without "data".
OPA_PATH = ENTRYPOINT.replace(".", "/")
BUNDLE_NAME = "govgate"
DEFAULT_PARQUET_BATCH = 10_000

# OPA's own metric names where GovGate measures the same thing; ours beside them, prefixed.
_OPA_METRICS = {"timer_rego_query_eval_ns": "policy", "timer_server_handler_ns": "total"}
_GOVGATE_METRICS = ("pii", "answer", "upstream_ttft", "upstream_total", "overhead", "client_ttfb", "client_total")


@dataclass(frozen=True)
class Window:
    since: datetime | None = None
    until: datetime | None = None


def _json_line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- OPA decision-log events ---------------------------------------------------------------


def opa_event(record: DecisionRecord, *, instance_id: str = "govgate") -> dict[str, Any]:
    """One record as an OPA decision-log event (and GovGate's extras under `govgate`)."""
    policy = record.policy
    timings = record.timings
    metrics: dict[str, int] = {}
    for name, field in _OPA_METRICS.items():
        if field == "policy" and policy.result is None:
            continue  # the policy did not run: no evaluation time to report
        metrics[name] = _ns(getattr(timings, field))
    metrics.update({f"govgate_timer_{field}_ns": _ns(value) for field in _GOVGATE_METRICS
                    if (value := getattr(timings, field)) is not None})
    event: dict[str, Any] = {
        "decision_id": record.decision_id,
        "path": OPA_PATH,
        "input": policy.input.model_dump(mode="json") if policy.input is not None else None,
        "result": policy.result.model_dump(mode="json") if policy.result is not None else None,
        "timestamp": rfc3339(record.created_at),
        "bundles": {BUNDLE_NAME: {"revision": policy.bundle_hash}} if policy.bundle_hash else {},
        "metrics": metrics,
        "erased": list(record.erased),
        "masked": list(record.masked),
        "labels": {"app": "govgate", "id": instance_id, "version": __version__},
        # OPA puts the client's address here; the gateway knows the caller (or, anonymous, its keyed hash).
        "requested_by": record.caller or record.client_pseudonym or "",
        "govgate": {
            "seq": record.seq, "record_hash": record.record_hash, "prev_hash": record.prev_hash,
            "source": record.source, "kind": record.kind, "status_code": record.status_code,
            "allowed": record.allowed, "stage": record.stage, "error_code": record.error_code,
            "engine": policy.engine, "pipeline_mode": policy.pipeline_mode,
        },
    }
    if policy.result is None:
        event["error"] = {"code": record.error_code or "not_evaluated",
                          "message": f"no policy decision: the request stopped at stage {record.stage or 'unknown'}"
                                     if record.source == "gateway" else "no policy decision: an imported record"}
    return event


def _ns(ms: float) -> int:
    return round(ms * 1_000_000)


def write_opa(log: DecisionLog, out: TextIO, window: Window = Window(), *, instance_id: str = "govgate") -> int:
    count = 0
    for record in log.window(since=window.since, until=window.until):
        out.write(_json_line(opa_event(record, instance_id=instance_id)))
        count += 1
    return count


# --- JSON lines ---------------------------------------------------------------------------------


def write_jsonl(log: DecisionLog, out: TextIO, window: Window = Window()) -> int:
    count = 0
    for record, outcomes in log.window_with_outcomes(since=window.since, until=window.until):
        out.write(_json_line({**record.model_dump(mode="json"),
                              "outcomes": [o.model_dump(mode="json") for o in outcomes]}))
        count += 1
    return count


# --- Parquet --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParquetColumn:
    name: str
    path: str  # the DecisionLog.batches column it is made from
    type: pa.DataType
    convert: Callable[[Any], Any] | None = None


def _as_json(value: BaseModel | None) -> str | None:
    return value.model_dump_json() if value is not None else None


def _rule_ids(reasons: list[Any]) -> list[str]:
    return [r.rule_id for r in reasons]


_STR, _INT, _FLOAT, _BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()
_TIMINGS = ("total", "pii", "policy", "answer", "upstream_ttft", "upstream_total", "overhead", "client_ttfb",
            "client_total")
PARQUET_COLUMNS: tuple[ParquetColumn, ...] = (
    ParquetColumn("seq", "seq", _INT),
    ParquetColumn("decision_id", "decision_id", _STR),
    ParquetColumn("created_at", "created_at", pa.timestamp("us", tz="UTC")),
    ParquetColumn("schema_version", "schema_version", _STR),
    ParquetColumn("source", "source", _STR),
    ParquetColumn("kind", "kind", _STR),
    ParquetColumn("caller", "caller", _STR),
    ParquetColumn("purpose", "purpose", _STR),
    ParquetColumn("model", "model", _STR),
    ParquetColumn("streamed", "streamed", _BOOL),
    ParquetColumn("stage", "stage", _STR),
    ParquetColumn("allowed", "allowed", _BOOL),
    ParquetColumn("status_code", "status_code", _INT),
    ParquetColumn("error_code", "error_code", _STR),
    ParquetColumn("conversation_id", "conversation_id", _STR),
    ParquetColumn("customer_pseudonym", "customer_pseudonym", _STR),
    ParquetColumn("customer_region", "customer_region", _STR),
    ParquetColumn("client_pseudonym", "client_pseudonym", _STR),
    ParquetColumn("customer_attributes", "customer_attributes", pa.map_(_STR, _STR), lambda d: sorted(d.items())),
    ParquetColumn("reason_rule_ids", "reasons", pa.list_(_STR), _rule_ids),
    ParquetColumn("finding_entity_types", "findings", pa.list_(_STR), lambda fs: [f.entity_type for f in fs]),
    ParquetColumn("finding_count", "findings", _INT, len),
    ParquetColumn("policy_bundle_hash", "policy.bundle_hash", _STR),
    ParquetColumn("policy_engine", "policy.engine", _STR),
    ParquetColumn("pipeline_mode", "policy.pipeline_mode", _STR),
    ParquetColumn("policy_input", "policy.input", _STR, _as_json),
    ParquetColumn("policy_result", "policy.result", _STR, _as_json),
    ParquetColumn("route_deployment", "route.deployment", _STR),
    ParquetColumn("route_provider", "route.provider", _STR),
    ParquetColumn("route_region", "route.region", _STR),
    ParquetColumn("route_model", "route.model", _STR),
    ParquetColumn("route_attempts", "route.attempts", _INT, len),
    *(ParquetColumn(f"timings_{name}", f"timings.{name}", _FLOAT) for name in _TIMINGS),
    ParquetColumn("features_message_chars", "features.message_chars", _INT),
    ParquetColumn("features_prompt_chars", "features.prompt_chars", _INT),
    ParquetColumn("features_language", "features.language", _STR),
    ParquetColumn("features_turns", "features.turns", _INT),
    ParquetColumn("features_channel", "features.channel", _STR),
    ParquetColumn("features_answer_chars", "features.answer_chars", _INT),
    ParquetColumn("usage", "usage", pa.map_(_STR, _INT), lambda d: sorted(d.items()) if d is not None else None),
    ParquetColumn("erased", "erased", pa.list_(_STR)),
    ParquetColumn("masked", "masked", pa.list_(_STR)),
    ParquetColumn("prev_hash", "prev_hash", _STR),
    ParquetColumn("record_hash", "record_hash", _STR),
    ParquetColumn("outcome", "outcome", _STR),
    ParquetColumn("csat", "csat", _INT),
    ParquetColumn("outcome_count", "outcome_count", _INT),
)
PARQUET_SCHEMA = pa.schema([pa.field(c.name, c.type) for c in PARQUET_COLUMNS])


def parquet_batches(log: DecisionLog, window: Window = Window(), *,
                    size: int = DEFAULT_PARQUET_BATCH) -> Iterator[pa.RecordBatch]:
    paths = list(dict.fromkeys(c.path for c in PARQUET_COLUMNS))
    for batch in log.batches(since=window.since, until=window.until, columns=paths, size=size, with_outcomes=True):
        arrays = [pa.array([c.convert(v) if c.convert and v is not None else v for v in batch[c.path]], type=c.type)
                  if c.convert else pa.array(batch[c.path], type=c.type) for c in PARQUET_COLUMNS]
        yield pa.RecordBatch.from_arrays(arrays, schema=PARQUET_SCHEMA)


def write_parquet(log: DecisionLog, path: Path, window: Window = Window(), *,
                  size: int = DEFAULT_PARQUET_BATCH) -> int:
    """Writes `path` (an empty window: a file with the schema and no rows); the row count."""
    count = 0
    with pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd") as writer:
        for batch in parquet_batches(log, window, size=size):
            writer.write_batch(batch)
            count += batch.num_rows
    return count
