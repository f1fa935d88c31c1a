"""The explanation of one decision, as data (docs/explanations.md names every field).

Every value here is copied from a field of the decision record, an outcome record or a policy
activation row, or counted from them; nothing comes from anywhere else, so an explanation can
hold no more than the record does (and the record holds no PII value). The plain-language
text (explainers/text.py) is rendered from this model alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.decision import AttemptOutcome, Features, RecordSource, Stage, Timings

Lang = Literal["en", "zh"]
Direction = Literal["request", "answer"]
# The parts of a record an explanation is built from; an imported record may lack some.
Part = Literal["policy", "findings", "route", "timings", "features"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleReason(_Model):
    rule_id: str
    reason: str


class Who(_Model):
    """Who called, for what, about which customer (pseudonymous)."""

    caller: str | None
    purpose: str | None
    kind: str
    model: str | None
    streamed: bool
    conversation_id: str | None  # keyed HMAC, as stored
    customer_pseudonym: str | None  # keyed HMAC, as stored
    customer_region: str | None
    channel: str | None


class Verdict(_Model):
    """Whether the policy allowed the request, and where the request ended."""

    # The policy's verdict; null when the request stopped before the policy decided.
    allowed: bool | None
    policy_decided: bool
    stage: Stage | None
    status_code: int
    error_code: str | None
    denied_by: list[RuleReason] = Field(default_factory=list)
    # Rules that fired without denying (obligations, routes, residency).
    reasons: list[RuleReason] = Field(default_factory=list)


class PolicyVersionPart(_Model):
    bundle_hash: str | None
    engine: str | None
    pipeline_mode: str
    benchmark: bool
    # The activation of the bundle in force when the decision was made (DecisionLog.policy_activation).
    activated_at: datetime | None
    activation_source: str | None
    shadow_bundle_hash: str | None = None
    shadow_differences: list[dict[str, str]] = Field(default_factory=list)


class PiiFindingPart(_Model):
    """One finding: what, where, why the detector believed it, what was done. Never the value."""

    entity_type: str
    direction: Direction
    location: str
    start: int
    end: int
    language: str
    score: float
    recognizer: str
    source: str
    pattern_name: str | None
    original_score: float
    context_word: str | None
    context_boost: float
    # The checksum (e.g. Luhn, an ID number's check digit): true passed, false failed, null none run.
    checksum_valid: bool | None
    action: str
    # The policy rule that chose the action for this entity type (null: none named, e.g. `refuse`).
    action_rule_id: str | None


class PermittedRoute(_Model):
    deployment: str
    provider: str
    region: str


class AttemptPart(_Model):
    deployment: str
    region: str
    outcome: AttemptOutcome
    status: int | None
    duration_ms: float


class RoutePart(_Model):
    """Where the request could go (residency) and where it went."""

    customer_region: str | None
    cross_border_basis: str | None
    permitted_regions: list[str] = Field(default_factory=list)
    permitted: list[PermittedRoute] = Field(default_factory=list)
    # Reasons of the residency rule family (RES-*, docs/policy-contract.md).
    residency_reasons: list[RuleReason] = Field(default_factory=list)
    deployment: str | None
    provider: str | None
    region: str | None
    model: str | None
    attempts: list[AttemptPart] = Field(default_factory=list)
    failovers: int


class OutcomePart(_Model):
    outcome: str
    csat: int | None
    occurred_at: datetime
    occurred_at_reported: bool
    recorded_at: datetime
    reported_by: str
    attached_to: Literal["decision", "conversation"]
    seq: int | None


class AggregatePart(_Model):
    client: str
    count: int
    first_at: datetime
    last_at: datetime
    kinds: dict[str, int] = Field(default_factory=dict)


class DecisionExplanation(_Model):
    """The structured account of one decision (the same whatever the language of the text)."""

    decision_id: str
    created_at: datetime
    source: RecordSource
    schema_version: str
    who: Who
    verdict: Verdict
    policy: PolicyVersionPart
    pii: list[PiiFindingPart] = Field(default_factory=list)
    route: RoutePart
    timings: Timings
    features: Features
    usage: dict[str, int] | None
    outcomes: list[OutcomePart] = Field(default_factory=list)
    aggregate: AggregatePart | None = None
    # What the record does not hold, so the text can say so rather than imply "none".
    missing: list[Part] = Field(default_factory=list)
    seq: int | None
    record_hash: str | None


class ExplanationDocument(_Model):
    """What GET /v1/decisions/{id}/explanation and `govgate decisions explain --json` answer."""

    object: Literal["decision.explanation"] = "decision.explanation"
    decision_id: str
    lang: Lang
    explanation: DecisionExplanation
    text: str
