"""The policy stage: the input document (the question), then the active policy's decision.

Two steps so the record keeps the question even when the engine cannot answer. A denial is
not raised here: `PolicyDecision.refusal` says what the caller gets, and the pipeline raises
it after keeping the decision for the record.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import anyio.to_thread

from gateway.auth import AuthenticatedCaller
from gateway.decision import ShadowRecord
from gateway.errors import GatewayError, ModelNotFound, PolicyDenied, ServiceUnavailable
from gateway.identifiers import listed_or_digest
from gateway.keys import KeyedDigest
from gateway.pii.findings import Finding
from gateway.policy.documents import PiiFindingInput, PolicyInput, PolicyResult, Vocabulary
from gateway.policy.engine import PolicyEngine
from gateway.policy.errors import PolicyError
from gateway.policy.replay import ShadowEvaluator
from gateway.stages.admission import Customer

log = logging.getLogger(__name__)

# Deny rules that mean "no such model" (docs/policy-contract.md): answered 404, not 403.
MODEL_NOT_FOUND_RULES = frozenset({"RTE-001"})
# Request kinds that go upstream: allowed, they need a permitted deployment.
FORWARDED_KINDS = frozenset({"chat", "embeddings"})


class PolicySource(Protocol):
    """Where the active policy engine comes from (PolicyHolder swaps it on reload)."""

    @property
    def engine(self) -> PolicyEngine: ...


@dataclass(frozen=True)
class PolicyQuestion:
    input: PolicyInput
    engine: PolicyEngine  # the engine active when the question was put: it answers it

    @property
    def model(self) -> str | None:
        """The model as the policy sees it (an unlisted name as its keyed hash)."""
        return self.input.request.model


@dataclass(frozen=True)
class PolicyDecision:
    result: PolicyResult
    shadow: ShadowRecord | None = None

    def refusal(self, kind: str) -> GatewayError | None:
        """What the caller gets when the decision does not let the request through."""
        result = self.result
        if not result.allow:
            rule_ids = [reason.rule_id for reason in result.deny]
            message = "; ".join(reason.reason for reason in result.deny) or "denied by policy"
            if set(rule_ids) & MODEL_NOT_FOUND_RULES:
                return ModelNotFound(message, param="model", extra={"rule_ids": rule_ids})
            return PolicyDenied(message, extra={"rule_ids": rule_ids, "reasons": [r.model_dump() for r in result.deny]})
        if kind in FORWARDED_KINDS and not result.routes:
            return PolicyDenied("the policy allowed the request but permitted no deployment",
                                code="no_permitted_route", extra={"rule_ids": []})
        return None


class PolicyGate:
    def __init__(self, *, policy: PolicySource, digest: KeyedDigest, shadow: ShadowEvaluator | None = None) -> None:
        self._policy = policy
        self._digest = digest
        self._shadow = shadow

    async def vocabulary(self) -> Vocabulary:
        """The identifiers the active policy lists (cached by embedded engines; remote OPA may fetch)."""
        engine = self._policy.engine
        try:
            return await _call(engine, engine.vocabulary)
        except PolicyError as exc:
            log.error("policy vocabulary unavailable: %s", exc)
            raise _unavailable() from None

    async def question(self, caller: AuthenticatedCaller, customer: Customer, kind: str,
                       model: str | None, located: Sequence[tuple[Any, Finding]]) -> PolicyQuestion:
        # A model name the policy does not list reaches the policy and the record as a keyed hash.
        model = listed_or_digest(model, (await self.vocabulary()).models, self._digest)
        context = customer.context
        policy_input = PolicyInput.build(
            caller_id=caller.id, roles=caller.roles, kind=kind, model=model, purpose=context.purpose,
            region=context.region, cross_border_basis=context.cross_border_basis,
            findings=[PiiFindingInput(entity_type=f.entity_type, score=round(f.score, 4), language=f.language)
                      for _, f in located],
        )
        return PolicyQuestion(input=policy_input, engine=self._policy.engine)

    async def decide(self, question: PolicyQuestion) -> PolicyDecision:
        engine = question.engine
        try:
            result = await _call(engine, engine.evaluate, question.input)
        except PolicyError as exc:
            log.error("policy evaluation failed: %s", exc)
            raise _unavailable() from None
        shadow = None
        if self._shadow is not None:
            differences = self._shadow.compare(question.input, result)
            shadow = ShadowRecord(bundle_hash=self._shadow.candidate.bundle_hash,
                                  differences=[d.model_dump() for d in differences])
        return PolicyDecision(result=result, shadow=shadow)


async def _call(engine: PolicyEngine, method: Any, *args: Any) -> Any:
    """An engine that waits on the network runs in a worker thread; an embedded one inline."""
    if engine.performs_io:
        return await anyio.to_thread.run_sync(method, *args)
    return method(*args)


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("the policy could not decide; the request was not sent upstream",
                              code="policy_unavailable")
