"""The decision record: one per request, the heart of the product.

Written once by the pipeline (through the ledger), read by the decision-log API,
explanations, replay and bias audits. It holds no PII value and no raw customer id:
findings keep their type, span, score and explanation; the customer is a keyed HMAC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from gateway.pii.findings import Finding, FindingExplanation


class FindingRecord(BaseModel):
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


class RouteAttempt(BaseModel):
    deployment: str
    region: str
    outcome: str  # "ok", "timeout", "unavailable", "rejected:<status>"
    duration_ms: float


class RouteRecord(BaseModel):
    deployment: str | None = None
    provider: str | None = None
    region: str | None = None
    model: str | None = None
    attempts: list[RouteAttempt] = Field(default_factory=list)


class Timings(BaseModel):
    """Milliseconds. `overhead` is everything the gateway did except waiting for upstream."""

    total: float = 0.0
    pii: float = 0.0
    policy: float = 0.0
    upstream_ttft: float | None = None
    upstream_total: float | None = None
    overhead: float = 0.0


class ShadowRecord(BaseModel):
    """A candidate policy run beside the active one: what it would have decided differently."""

    bundle_hash: str
    differences: list[dict[str, str]] = Field(default_factory=list)


class PolicyRecord(BaseModel):
    bundle_hash: str | None = None
    engine: str | None = None
    input: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    shadow: ShadowRecord | None = None
    # "full" in production; benchmark modes skip stages and say so here.
    pipeline_mode: str = "full"


class AggregateRecord(BaseModel):
    """Anonymous refusals from one client address in one window, counted into one record.

    The first few of each window are recorded one by one; a flood past them leaves this
    record instead of a row per request (docs/decision-record.md).
    """

    client: str  # keyed HMAC of the address; "*" when too many addresses flooded at once
    count: int
    first_at: datetime
    last_at: datetime
    kinds: dict[str, int] = Field(default_factory=dict)  # request kind -> count


class DecisionRecord(BaseModel):
    decision_id: str
    created_at: datetime
    conversation_id: str | None = None
    caller: str | None = None
    purpose: str | None = None
    kind: str  # chat, embeddings, models, pii
    model: str | None = None
    streamed: bool = False
    customer_pseudonym: str | None = None
    customer_region: str | None = None
    customer_attributes: dict[str, str] = Field(default_factory=dict)
    allowed: bool = False
    reasons: list[dict[str, str]] = Field(default_factory=list)
    findings: list[FindingRecord] = Field(default_factory=list)
    policy: PolicyRecord = Field(default_factory=PolicyRecord)
    route: RouteRecord = Field(default_factory=RouteRecord)
    timings: Timings = Field(default_factory=Timings)
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
