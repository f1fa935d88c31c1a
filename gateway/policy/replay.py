"""What-if: evaluate recorded decisions against a candidate policy and report the changes.

``replay`` is a pure function over (decision_id, input, recorded result) triples; the CLI
and the ledger feed it. ``ShadowEvaluator`` uses the same ``diff_results`` to compare a
candidate engine with the active result of a live request. A candidate that errors on an
input counts as a change of kind ``error`` (the gateway would fail closed there).

Change kinds (``ChangeKind``):

=================  =========================================================
allow_to_deny      recorded allow, candidate denies
deny_to_allow      recorded deny, candidate allows
route              ordered list of route deployments differs
region             set of route regions differs
pii_action         an input entity type gets another action (or none)
output_pii_action  an output entity type gets another action (or none)
deny_rules         both deny, but with different rule ids
error              the candidate raised a PolicyError
=================  =========================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.policy.documents import PiiAction, PolicyInput, PolicyResult
from gateway.policy.engine import PolicyEngine
from gateway.policy.errors import PolicyError

ChangeKind = Literal[
    "allow_to_deny", "deny_to_allow", "route", "region", "pii_action", "output_pii_action", "deny_rules", "error",
]
CHANGE_KINDS: tuple[str, ...] = ChangeKind.__args__  # type: ignore[attr-defined]
MAX_EXAMPLES = 5


class Difference(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    detail: str


class ChangeSummary(BaseModel):
    count: int = 0
    examples: list[str] = Field(default_factory=list)  # decision ids, at most MAX_EXAMPLES


class ReplayReport(BaseModel):
    candidate_bundle_hash: str
    total: int = 0
    unchanged: int = 0
    changed: int = 0
    changes: dict[str, ChangeSummary] = Field(default_factory=lambda: {k: ChangeSummary() for k in CHANGE_KINDS})

    def count(self, kind: ChangeKind) -> int:
        return self.changes[kind].count

    def examples(self, kind: ChangeKind) -> list[str]:
        return self.changes[kind].examples


def diff_results(active: PolicyResult, candidate: PolicyResult) -> list[Difference]:
    """Every way ``candidate`` differs from ``active`` that matters for enforcement."""
    out: list[Difference] = []
    if active.allow and not candidate.allow:
        out.append(Difference(kind="allow_to_deny", detail="denied by " + ", ".join(_rule_ids(candidate))))
    elif candidate.allow and not active.allow:
        out.append(Difference(kind="deny_to_allow", detail="was denied by " + ", ".join(_rule_ids(active))))
    elif not active.allow and set(_rule_ids(active)) != set(_rule_ids(candidate)):
        out.append(Difference(kind="deny_rules", detail=f"{_rule_ids(active)} -> {_rule_ids(candidate)}"))
    before = [r.deployment for r in active.routes]
    after = [r.deployment for r in candidate.routes]
    if before != after:
        out.append(Difference(kind="route", detail=f"{before} -> {after}"))
    regions_before = sorted({r.region for r in active.routes})
    regions_after = sorted({r.region for r in candidate.routes})
    if regions_before != regions_after:
        out.append(Difference(kind="region", detail=f"{regions_before} -> {regions_after}"))
    out += _action_changes("pii_action", active.pii_actions, candidate.pii_actions)
    out += _action_changes("output_pii_action", active.output_pii_actions, candidate.output_pii_actions)
    return out


def replay(inputs: Iterable[tuple[str, PolicyInput, PolicyResult]], candidate: PolicyEngine) -> ReplayReport:
    """Re-decide each recorded input with ``candidate`` and count the changes by kind."""
    report = ReplayReport(candidate_bundle_hash=candidate.bundle_hash)
    for decision_id, policy_input, recorded in inputs:
        report.total += 1
        differences = ShadowEvaluator(candidate).compare(policy_input, recorded)
        if not differences:
            report.unchanged += 1
            continue
        report.changed += 1
        for kind in dict.fromkeys(d.kind for d in differences):
            summary = report.changes[kind]
            summary.count += 1
            if len(summary.examples) < MAX_EXAMPLES:
                summary.examples.append(decision_id)
    return report


class ShadowEvaluator:
    """Evaluates a candidate policy beside the active one and lists the differences."""

    def __init__(self, candidate: PolicyEngine) -> None:
        self.candidate = candidate

    def compare(self, policy_input: PolicyInput, active: PolicyResult) -> list[Difference]:
        try:
            result = self.candidate.evaluate(policy_input)
        except PolicyError as exc:
            return [Difference(kind="error", detail=f"{type(exc).__name__}: {exc}")]
        return diff_results(active, result)


def _rule_ids(result: PolicyResult) -> list[str]:
    return sorted({r.rule_id for r in result.deny})


def _action_text(action: PiiAction | None) -> str:
    if action is None:
        return "none"
    return action.action if action.keep_last is None else f"{action.action}(keep_last={action.keep_last})"


def _action_changes(kind: ChangeKind, before: dict[str, PiiAction], after: dict[str, PiiAction]) -> list[Difference]:
    changed = []
    for entity_type in sorted(set(before) | set(after)):
        old, new = before.get(entity_type), after.get(entity_type)
        if _action_text(old) != _action_text(new):
            changed.append(Difference(kind=kind, detail=f"{entity_type}: {_action_text(old)} -> {_action_text(new)}"))
    return changed
