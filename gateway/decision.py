"""The decision record: one per request, the heart of the product.

Written once by the pipeline (through the ledger), read by the decision-log API,
explanations, replay and bias audits. It holds no PII value and no raw customer id:
findings keep their type, span, score and explanation; the customer is a keyed HMAC;
the request and the answer are described by counts (`Features`), never by their text.

The shape is versioned (`SCHEMA_VERSION`, docs/decision-record.md, JSON Schema in
docs/schemas/decision-record.schema.json). Stored records are never rewritten (the hash
chain covers them as stored), so readers parse every version: `DecisionRecord.from_stored`
reads a stored record of any version into the current model.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic_core import to_jsonable_python

from gateway.pii.findings import Finding, FindingExplanation, Language
from gateway.policy.documents import PolicyInput, PolicyResult, Reason

# "1": records written before the field existed (no `schema_version` in the stored JSON).
SCHEMA_VERSION = "2"
SchemaVersion = Literal["1", "2"]

# Where a request stopped: the stage the pipeline had entered when it was refused or failed,
# or "completed" when the caller got its answer. In pipeline order:
Stage = Literal["admission", "request", "detection", "policy", "obligations", "forwarding", "answer", "completed"]
STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]

# How one upstream attempt ended ("rejected" carries the upstream's HTTP status).
AttemptOutcome = Literal["ok", "timeout", "unavailable", "rejected", "malformed"]

# Where a record came from: written by this gateway as it proxied, or imported from another
# bot's log (`govgate decisions import`, gateway/importing.py).
RecordSource = Literal["gateway", "imported"]


class _Part(BaseModel):
    # Every field is written (defaults too): the published schema says so (serialization mode).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class FindingRecord(_Part):
    """A finding as stored: where it was, what it was, what was done. Never the value."""

    entity_type: str
    location: str  # e.g. "messages[2].content" (request) or "choices[0].message.content" (answer)
    start: int
    end: int
    score: float
    language: str
    action: str
    explanation: FindingExplanation

    @classmethod
    def of(cls, finding: Finding, *, location: str, action: str, offset: int = 0) -> FindingRecord:
        """`offset`: where the scanned piece starts in the text `location` names."""
        return cls(entity_type=finding.entity_type, location=location, start=finding.start + offset,
                   end=finding.end + offset, score=round(finding.score, 4), language=finding.language,
                   action=action, explanation=finding.explanation)


class RouteAttempt(_Part):
    deployment: str
    region: str
    outcome: AttemptOutcome
    # The upstream's HTTP status when it answered with an error ("rejected"); else null.
    status: int | None = None
    # Waiting on this deployment: the call itself, not the gateway's work on the answer.
    duration_ms: float


class RouteRecord(_Part):
    deployment: str | None = None
    provider: str | None = None
    region: str | None = None
    model: str | None = None
    attempts: list[RouteAttempt] = Field(default_factory=list)


class Timings(_Part):
    """Milliseconds from the request's arrival, or spent in one part; docs/decision-record.md
    says exactly where each clock starts and stops. Null: the part did not run (or, for the
    client clocks, a schema-1 record)."""

    total: float = 0.0  # arrival -> the record assembled
    pii: float = 0.0
    policy: float = 0.0
    answer: float | None = None  # scanning the answer and restoring pseudonyms
    upstream_ttft: float | None = None  # the answering attempt's start -> the upstream's first byte
    upstream_total: float | None = None  # every attempt's duration_ms, summed
    overhead: float = 0.0  # total - upstream_total
    client_ttfb: float | None = None  # arrival -> the caller's first body byte handed to the server
    client_total: float | None = None  # arrival -> the caller's last body byte (before [DONE]) handed over


class Features(_Part):
    """What bias audits compare, per request, as counts and categories: never text."""

    message_chars: int | None = None  # the last user message (chat); the text (pii)
    prompt_chars: int | None = None  # every text the request gives the model (the scanned texts)
    language: Language | None = None  # the request's primary language, as the PII layer chooses it
    turns: int | None = None  # user messages (chat)
    channel: str | None = None  # X-Channel: a listed channel, or `unlisted:<keyed hash>`
    answer_chars: int | None = None  # the answer's texts as the caller got them (chat)


class ShadowRecord(_Part):
    """A candidate policy run beside the active one: what it would have decided differently."""

    bundle_hash: str
    differences: list[dict[str, str]] = Field(default_factory=list)


class PolicyRecord(_Part):
    bundle_hash: str | None = None
    engine: str | None = None  # a stable name: regorus, opa-embedded, opa-remote
    input: PolicyInput | None = None
    result: PolicyResult | None = None
    shadow: ShadowRecord | None = None
    # "full" in production; benchmark modes skip stages and say so here.
    pipeline_mode: str = "full"


class AggregateRecord(_Part):
    """Anonymous refusals from one client address in one window, counted into one record.

    The first few of each window are recorded one by one; a flood past them leaves this
    record instead of a row per request (docs/decision-record.md).
    """

    client: str  # keyed HMAC of the address; "*" when too many addresses flooded at once
    count: int
    first_at: datetime
    last_at: datetime
    kinds: dict[str, int] = Field(default_factory=dict)  # request kind -> count


class ImportedRecord(_Part):
    """Set on an imported record only (source "imported"): the interaction happened in another
    bot, not through this gateway, and reached the ledger from that bot's log."""

    bot: str  # the row's `source`: the bot that handled the interaction


class DecisionRecord(_Part):
    schema_version: SchemaVersion = SCHEMA_VERSION
    decision_id: str
    created_at: datetime
    source: RecordSource = "gateway"
    conversation_id: str | None = None
    caller: str | None = None
    purpose: str | None = None
    kind: str  # chat, embeddings, models, pii, aggregate
    model: str | None = None
    streamed: bool = False
    customer_pseudonym: str | None = None
    customer_region: str | None = None
    customer_attributes: dict[str, str] = Field(default_factory=dict)
    # The policy's verdict; null when the request stopped before the policy decided.
    allowed: bool | None = None
    stage: Stage | None = None  # null only in schema-1 records
    reasons: list[Reason] = Field(default_factory=list)
    findings: list[FindingRecord] = Field(default_factory=list)
    policy: PolicyRecord = Field(default_factory=PolicyRecord)
    route: RouteRecord = Field(default_factory=RouteRecord)
    timings: Timings = Field(default_factory=Timings)
    features: Features = Field(default_factory=Features)
    status_code: int = 0
    error_code: str | None = None
    usage: dict[str, int] | None = None
    # Input paths removed or transformed before storage, as OPA decision logs list them.
    erased: list[str] = Field(default_factory=list)
    masked: list[str] = Field(default_factory=list)
    # Integrity: filled by the ledger when the record joins the chain.
    seq: int | None = None
    prev_hash: str | None = None
    record_hash: str | None = None
    # An anonymous refusal: the keyed HMAC of the client address (never the address itself).
    client_pseudonym: str | None = None
    # Set on an aggregate record only (kind "aggregate").
    aggregate: AggregateRecord | None = None
    # Set on an imported record only (source "imported").
    imported: ImportedRecord | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def benchmark(self) -> bool:
        """Written by a benchmark mode (stages switched off): never replayed, never audited."""
        return self.policy.pipeline_mode != "full"

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> DecisionRecord:
        """A stored record of any schema version, read into the current model (the stored
        JSON itself is left as it is: the chain's hashes cover it)."""
        if stored_schema_version(stored) == "1":
            stored = _from_schema_1(stored)
        return cls.model_validate(stored)


def stored_schema_version(stored: dict[str, Any]) -> str:
    """The schema version a stored record was written in (schema 1 did not say)."""
    version = stored.get("schema_version", "1")
    return version if isinstance(version, str) else "1"


def _from_schema_1(stored: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 said `allowed: false` also when the policy never decided, and wrote a
    rejected attempt as "rejected:<status>" (a malformed stream as "rejected:malformed-stream")."""
    policy = stored.get("policy") or {}
    upgraded = {**stored, "schema_version": "1"}
    if policy.get("result") is None:
        upgraded["allowed"] = None
    route = stored.get("route")
    if isinstance(route, dict) and route.get("attempts"):
        upgraded["route"] = {**route, "attempts": [_attempt_from_schema_1(a) for a in route["attempts"]]}
    return upgraded


def _attempt_from_schema_1(attempt: dict[str, Any]) -> dict[str, Any]:
    outcome = attempt.get("outcome")
    if not isinstance(outcome, str) or not outcome.startswith("rejected:"):
        return attempt
    detail = outcome.removeprefix("rejected:")
    if detail.isdigit():
        return {**attempt, "outcome": "rejected", "status": int(detail)}
    return {**attempt, "outcome": "malformed"}


# --- the compact stored form (imported records) ----------------------------------------------


def without_defaults(payload: dict[str, Any], model: type[BaseModel] = DecisionRecord) -> dict[str, Any]:
    """`payload` (a `model_dump(mode="json")`) without the fields at their model default, at
    every level of the record's own parts, and without computed fields: the form imported
    records are stored in (half the bytes). `from_stored` reads it back into the same record,
    since the model fills the defaults in again. `schema_version` always stays: a record
    without it reads as schema 1. Lists are kept whole."""
    compact = {}
    for name, value in payload.items():
        if name in model.model_computed_fields:
            continue
        field = model.model_fields.get(name)
        if field is None or name == "schema_version":
            compact[name] = value
            continue
        part = _part_in(field.annotation)
        if part is not None and isinstance(value, dict):
            value = without_defaults(value, part)
        if not field.is_required() and _json_text(value) == _json_text(_default_json(field)):
            continue
        compact[name] = value
    return compact


def default_at(path: tuple[str, ...], model: type[BaseModel] = DecisionRecord) -> Any:
    """The field at `path`'s default as `without_defaults` compares it (NO_DEFAULT: it has none)."""
    field = model.model_fields[path[0]]
    if len(path) > 1:
        part = _part_in(field.annotation)
        assert part is not None, f"{path[0]} has no fields"
        return default_at(path[1:], part)
    return NO_DEFAULT if field.is_required() else _default_json(field)


NO_DEFAULT = object()


def _default_json(field: Any) -> Any:
    default = field.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return without_defaults(default.model_dump(mode="json"), type(default))
    return to_jsonable_python(default)


def _part_in(annotation: Any) -> type[BaseModel] | None:
    """The record part a field holds (`Timings`, `PolicyRecord | None`), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next((part for arg in typing.get_args(annotation) if (part := _part_in(arg)) is not None), None)
    return None


def _json_text(value: Any) -> str:
    # 0 and False, 0.0 and 0 are equal in Python, not in the stored JSON.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
