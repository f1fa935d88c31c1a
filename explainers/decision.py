"""Explain one decision: which rules allowed or denied it, what PII was found and done, where it
was routed and why, how long each part took, and what happened afterwards.

    explain(log, record, lang)  -> ExplanationDocument   (reads outcomes and the activation)
    account(record, outcomes, activation) -> DecisionExplanation   (pure: no I/O)

Reads go through `DecisionLog` only. Every value is a field of the record, an outcome or the
activation row (explainers/models.py): an explanation holds no more than the ledger does.
"""

from __future__ import annotations

from collections.abc import Sequence

from explainers.models import (AggregatePart, AttemptPart, DecisionExplanation, Direction, ExplanationDocument, Lang,
                               OutcomePart, Part, PermittedRoute, PiiFindingPart, PolicyVersionPart, RoutePart,
                               RuleReason, Verdict, Who)
from explainers.text import render
from gateway.decision import DecisionRecord, FindingRecord
from gateway.outcome import OutcomeRecord
from gateway.policy.documents import PiiAction, Reason
from gateway.store.decision_log import DecisionLog
from gateway.store.policy_versions import PolicyVersion

# The residency rule family: rule ids `RES-…` (docs/policy-contract.md, "Rule ids").
RESIDENCY_FAMILY = "RES"
# Findings in the answer sit under `choices[…]`; every other location is in the request.
_ANSWER_PREFIX = "choices"


def explain(log: DecisionLog, record: DecisionRecord, *, lang: Lang) -> ExplanationDocument:
    """The explanation of a record already read (and access-checked) by the caller. Blocking."""
    activation = (log.policy_activation(record.policy.bundle_hash, at=record.created_at)
                  if record.policy.bundle_hash else None)
    structured = account(record, log.outcomes_for(record.decision_id), activation)
    return ExplanationDocument(decision_id=record.decision_id, lang=lang, explanation=structured,
                               text=render(structured, lang))


def account(record: DecisionRecord, outcomes: Sequence[OutcomeRecord],
            activation: PolicyVersion | None) -> DecisionExplanation:
    return DecisionExplanation(
        decision_id=record.decision_id, created_at=record.created_at, source=record.source,
        schema_version=record.schema_version, who=_who(record), verdict=_verdict(record),
        policy=_policy(record, activation), pii=[_finding(f, record) for f in record.findings],
        route=_route(record), timings=record.timings, features=record.features, usage=record.usage,
        outcomes=[_outcome(o) for o in outcomes], aggregate=_aggregate(record), missing=_missing(record),
        seq=record.seq, record_hash=record.record_hash)


def _rules(reasons: Sequence[Reason]) -> list[RuleReason]:
    return [RuleReason(rule_id=r.rule_id, reason=r.reason) for r in reasons]


def _who(record: DecisionRecord) -> Who:
    return Who(caller=record.caller, purpose=record.purpose, kind=record.kind, model=record.model,
               streamed=record.streamed, conversation_id=record.conversation_id,
               customer_pseudonym=record.customer_pseudonym, customer_region=record.customer_region,
               channel=record.features.channel)


def _verdict(record: DecisionRecord) -> Verdict:
    result = record.policy.result
    if result is not None:
        denied, fired = _rules(result.deny), _rules(result.reasons)
    elif record.allowed is False:
        # An imported record may carry its reasons without the result document.
        denied, fired = _rules(record.reasons), []
    else:
        denied, fired = [], _rules(record.reasons)
    return Verdict(allowed=record.allowed, policy_decided=record.allowed is not None, stage=record.stage,
                   status_code=record.status_code, error_code=record.error_code, denied_by=denied, reasons=fired)


def _policy(record: DecisionRecord, activation: PolicyVersion | None) -> PolicyVersionPart:
    policy = record.policy
    return PolicyVersionPart(
        bundle_hash=policy.bundle_hash, engine=policy.engine, pipeline_mode=policy.pipeline_mode,
        benchmark=record.benchmark,
        activated_at=activation.activated_at if activation else None,
        activation_source=activation.source if activation else None,
        shadow_bundle_hash=policy.shadow.bundle_hash if policy.shadow else None,
        shadow_differences=list(policy.shadow.differences) if policy.shadow else [])


def _direction(location: str) -> Direction:
    return "answer" if location.startswith(_ANSWER_PREFIX) else "request"


def _action_rule(finding: FindingRecord, direction: Direction, record: DecisionRecord) -> str | None:
    """The rule that chose this finding's action: named only when the policy's action for the
    type is the one recorded (`refuse` and `reported` are the gateway's, not a rule's)."""
    result = record.policy.result
    if result is None:
        return None
    table: dict[str, PiiAction] = result.pii_actions if direction == "request" else result.output_pii_actions
    chosen = table.get(finding.entity_type)
    return chosen.rule_id if chosen is not None and chosen.action == finding.action else None


def _finding(finding: FindingRecord, record: DecisionRecord) -> PiiFindingPart:
    why = finding.explanation
    direction = _direction(finding.location)
    return PiiFindingPart(
        entity_type=finding.entity_type, direction=direction, location=finding.location, start=finding.start,
        end=finding.end, language=finding.language, score=finding.score, recognizer=why.recognizer,
        source=why.source, pattern_name=why.pattern_name, original_score=why.original_score,
        context_word=why.supportive_context_word, context_boost=why.score_context_improvement,
        checksum_valid=why.validation_result, action=finding.action,
        action_rule_id=_action_rule(finding, direction, record))


def _route(record: DecisionRecord) -> RoutePart:
    result, policy_input, route = record.policy.result, record.policy.input, record.route
    routes = result.routes if result is not None else []
    reasons = [*result.deny, *result.reasons] if result is not None else record.reasons
    attempts = [AttemptPart(deployment=a.deployment, region=a.region, outcome=a.outcome, status=a.status,
                            duration_ms=a.duration_ms) for a in route.attempts]
    return RoutePart(
        customer_region=record.customer_region,
        cross_border_basis=policy_input.customer.cross_border_basis if policy_input is not None else None,
        permitted_regions=list(dict.fromkeys(r.region for r in routes)),
        permitted=[PermittedRoute(deployment=r.deployment, provider=r.provider, region=r.region) for r in routes],
        residency_reasons=[r for r in _rules(reasons) if r.rule_id.split("-", 1)[0] == RESIDENCY_FAMILY],
        deployment=route.deployment, provider=route.provider, region=route.region, model=route.model,
        attempts=attempts, failovers=max(len(attempts) - 1, 0))


def _outcome(outcome: OutcomeRecord) -> OutcomePart:
    return OutcomePart(outcome=outcome.outcome, csat=outcome.csat, occurred_at=outcome.occurred_at,
                       occurred_at_reported=outcome.occurred_at_reported, recorded_at=outcome.recorded_at,
                       reported_by=outcome.reported_by,
                       attached_to="decision" if outcome.decision_id is not None else "conversation",
                       seq=outcome.seq)


def _aggregate(record: DecisionRecord) -> AggregatePart | None:
    a = record.aggregate
    if a is None:
        return None
    return AggregatePart(client=a.client, count=a.count, first_at=a.first_at, last_at=a.last_at, kinds=dict(a.kinds))


def _missing(record: DecisionRecord) -> list[Part]:
    """Parts an imported record does not carry. A gateway record's empty part is a fact (the
    stage did not run, nothing was found), so it is never "missing"."""
    if record.source != "imported":
        return []
    missing: list[Part] = []
    if record.policy.bundle_hash is None and record.policy.result is None:
        missing.append("policy")
    if not record.findings:
        missing.append("findings")
    if record.route.deployment is None and not record.route.attempts:
        missing.append("route")
    if record.timings.total == 0.0:
        missing.append("timings")
    if all(value is None for value in record.features.model_dump().values()):
        missing.append("features")
    return missing
