"""The policy contract: the input document the gateway sends, the result it expects back.

Both are versioned (`POLICY_CONTRACT_VERSION`) and documented in docs/policy-contract.md,
with JSON Schemas generated from these models. The gateway validates every result; a result
that does not fit (undefined, malformed, unknown action) is a failure and the request is
denied before any upstream call (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

POLICY_CONTRACT_VERSION = "1"

RequestKind = Literal["chat", "embeddings", "models", "pii"]
PiiActionName = Literal["allow", "redact", "mask", "hash", "pseudonymise", "block"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- input -------------------------------------------------------------------------------


class CallerInput(_Strict):
    id: str
    roles: list[str]


class RequestInput(_Strict):
    kind: RequestKind
    model: str | None = None
    purpose: str | None = None


class CustomerInput(_Strict):
    # Residency region as declared by the caller (EU, CN, US, ...); None when not given.
    region: str | None = None
    # Legal basis for a cross-border transfer the caller declares (e.g. PIPL standard contract).
    cross_border_basis: str | None = None


class PiiFindingInput(_Strict):
    entity_type: str
    score: float
    language: str


class PiiInput(_Strict):
    entity_types: list[str] = Field(default_factory=list)
    findings: list[PiiFindingInput] = Field(default_factory=list)


class PolicyInput(_Strict):
    """Everything the policy may look at. Never carries a PII value or a raw customer id."""

    contract_version: str = POLICY_CONTRACT_VERSION
    caller: CallerInput
    request: RequestInput
    customer: CustomerInput = CustomerInput()
    pii: PiiInput = PiiInput()

    @classmethod
    def build(cls, *, caller_id: str, roles: Iterable[str], kind: str, model: str | None = None,
              purpose: str | None = None, region: str | None = None, cross_border_basis: str | None = None,
              findings: Iterable[PiiFindingInput] = ()) -> PolicyInput:
        """The one way an input document is put together (the pipeline, benchmarks, tests)."""
        findings = list(findings)
        return cls(
            caller=CallerInput(id=caller_id, roles=list(roles)),
            request=RequestInput(kind=kind, model=model, purpose=purpose),
            customer=CustomerInput(region=region, cross_border_basis=cross_border_basis),
            pii=PiiInput(entity_types=sorted({f.entity_type for f in findings}), findings=findings),
        )


# --- result ------------------------------------------------------------------------------


class Reason(_Strict):
    rule_id: str
    reason: str


class PiiAction(_Strict):
    action: PiiActionName
    # For `mask`: how many trailing characters stay visible.
    keep_last: int | None = Field(default=None, ge=0)
    rule_id: str | None = None


# A policy names where a deployment's key comes from, but may only name variables made for
# that: a hot-reloaded policy edit must never send the gateway's own secrets to a host.
UPSTREAM_KEY_ENV_PATTERN = r"^GOVGATE_UPSTREAM_KEY_[A-Z0-9_]+$"


class Route(_Strict):
    """A deployment the request may go to, in order of preference."""

    deployment: str
    model: str  # the upstream's own model name
    provider: str
    base_url: str = Field(pattern=r"^(https?://\S+|builtin:demo)$")
    region: str
    api_key_env: str | None = Field(default=None, pattern=UPSTREAM_KEY_ENV_PATTERN)
    timeout_s: float | None = None


class PolicyResult(_Strict):
    contract_version: str
    allow: bool
    deny: list[Reason] = Field(default_factory=list)
    # Obligations and rules that fired without denying (for the record and explanations).
    reasons: list[Reason] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    # What to do with each entity type found in the request, and in the answer.
    pii_actions: dict[str, PiiAction] = Field(default_factory=dict)
    output_pii_actions: dict[str, PiiAction] = Field(default_factory=dict)
    # Entity types whose pseudonyms may be put back in the answer (others stay tokens).
    restore_pii: list[str] = Field(default_factory=list)
    # Model aliases the caller may use for this purpose (for GET /v1/models).
    models: list[str] = Field(default_factory=list)


# --- vocabulary --------------------------------------------------------------------------

VOCABULARY_RULE = "govgate.vocabulary.listed"


class Vocabulary(_Strict):
    """The identifiers the policy data lists (data.govgate.vocabulary.listed).

    A caller's model name, purpose, region, cross-border basis or audit attribute is passed
    to the policy and stored as sent only when it is listed; any other value as a keyed hash.
    """

    models: frozenset[str] = frozenset()
    purposes: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    cross_border_bases: frozenset[str] = frozenset()
    attributes: dict[str, frozenset[str]] = Field(default_factory=dict)
