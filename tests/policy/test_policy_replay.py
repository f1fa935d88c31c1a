"""Replay reports what a candidate policy would change on recorded decisions."""

from __future__ import annotations

import json

from policy_inputs import make_input

from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import RegorusPolicyEngine
from gateway.policy.replay import ShadowEvaluator, diff_results, replay


def _recorded(engine):
    inputs = {
        "d-eu-1": make_input(region="EU", entity_types=("PERSON", "IP_ADDRESS")),
        "d-eu-2": make_input(region="EU", purpose="marketing"),
        "d-cn-1": make_input(region="CN", basis="pipl-standard-contract"),
        "d-cn-2": make_input(region="CN"),
        "d-us-1": make_input(region="US", entity_types=("CREDIT_CARD",)),
        "d-bad-1": make_input(purpose="credit-scoring"),
    }
    return [(i, inp, engine.evaluate(inp)) for i, inp in inputs.items()]


def test_replay_against_itself_changes_nothing(regorus_engine):
    report = replay(_recorded(regorus_engine), regorus_engine)
    assert report.total == 6 and report.unchanged == 6 and report.changed == 0


def test_replay_reports_changes(regorus_engine, policy_copy):
    recorded = _recorded(regorus_engine)
    # Candidate: marketing withdrawn, no cross-border for CN, credit-scoring added,
    # IP addresses redacted instead of hashed.
    roles_path = policy_copy / "data" / "roles.json"
    roles = json.loads(roles_path.read_text())
    roles["bot"]["purposes"]["credit-scoring"] = roles["bot"]["purposes"].pop("marketing")
    roles_path.write_text(json.dumps(roles))
    residency_path = policy_copy / "data" / "residency.json"
    residency = json.loads(residency_path.read_text())
    del residency["regions"]["CN"]["cross_border"]
    residency_path.write_text(json.dumps(residency))
    pii_path = policy_copy / "data" / "pii.json"
    pii_path.write_text(pii_path.read_text().replace('"IP_ADDRESS": {"action": "hash"}', '"IP_ADDRESS": {"action": "redact"}'))
    candidate = RegorusPolicyEngine(PolicyBundle.load(policy_copy))

    report = replay(recorded, candidate)
    assert report.total == 6
    assert report.changed == 4
    assert report.count("allow_to_deny") == 1 and report.examples("allow_to_deny") == ["d-eu-2"]
    assert report.count("deny_to_allow") == 1 and report.examples("deny_to_allow") == ["d-bad-1"]
    assert report.examples("region") == ["d-eu-2", "d-cn-1", "d-bad-1"]
    assert report.examples("route") == ["d-eu-2", "d-cn-1", "d-bad-1"]
    assert report.examples("pii_action") == ["d-eu-1"]
    assert report.count("error") == 0
    assert report.candidate_bundle_hash == candidate.bundle_hash


def test_examples_capped_at_five(regorus_engine, opa_engine):
    inputs = [(f"d-{n}", make_input(region="US"), regorus_engine.evaluate(make_input(region="EU"))) for n in range(8)]
    report = replay(inputs, opa_engine)
    assert report.count("route") == 8
    assert len(report.examples("route")) == 5


def test_shadow_evaluator_uses_the_same_diff(regorus_engine):
    active = regorus_engine.evaluate(make_input(region="EU"))
    shadow = ShadowEvaluator(regorus_engine)
    assert shadow.compare(make_input(region="EU"), active) == []
    differences = shadow.compare(make_input(region="US"), active)
    assert {d.kind for d in differences} == {"route", "region"}
    assert differences == diff_results(active, regorus_engine.evaluate(make_input(region="US")))
