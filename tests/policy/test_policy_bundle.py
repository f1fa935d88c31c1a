"""The bundle loader refuses what must never go live, and hashes content deterministically."""

from __future__ import annotations

import json

import pytest
from policy_inputs import make_input

from gateway.policy.bundle import FORBIDDEN_BUILTINS, PolicyBundle, forbidden_calls
from gateway.policy.documents import PolicyResult
from gateway.policy.engine import OpaGolibPolicyEngine, RegorusPolicyEngine
from gateway.policy.errors import PolicyError, PolicyLoadError, PolicyResultInvalid


def test_shipped_bundle_loads(bundle):
    assert len(bundle.bundle_hash) == 64
    assert {m.package for m in bundle.modules} == {
        "govgate", "govgate.request", "govgate.access", "govgate.residency", "govgate.pii", "govgate.routing",
        "govgate.output", "govgate.vocabulary",
    }
    assert {t.package for t in bundle.tests} == {m.package + "_test" for m in bundle.modules}
    assert set(bundle.data) == {"deployments", "residency", "roles", "pii", "audit"}


def test_sample_data_contract(bundle):
    deployments = bundle.data["deployments"]
    for alias, kind in (("demo-chat", "chat"), ("demo-embed", "embeddings")):
        mine = [d for d in deployments.values() if d["alias"] == alias]
        assert {d["region"] for d in mine} == {"EU", "CN", "US"}
        assert {d["base_url"] for d in mine} == {"builtin:demo"}
        assert {d["kind"] for d in mine} == {kind}


def test_hash_is_content_based(bundle, policy_copy):
    assert PolicyBundle.load(policy_copy).bundle_hash == bundle.bundle_hash
    (policy_copy / "govgate" / "access" / "access.rego").write_text(
        (policy_copy / "govgate" / "access" / "access.rego").read_text() + "\n# comment\n"
    )
    assert PolicyBundle.load(policy_copy).bundle_hash != bundle.bundle_hash


def test_empty_dir_refused(tmp_path):
    with pytest.raises(PolicyLoadError, match="no policy modules"):
        PolicyBundle.load(tmp_path)


def test_missing_dir_refused(tmp_path):
    with pytest.raises(PolicyLoadError):
        PolicyBundle.load(tmp_path / "nope")


@pytest.mark.parametrize("call", [
    "http.send({\"method\": \"get\", \"url\": \"http://x\"})",
    "time.now_ns()",
    "crypto.sha256(\"x\")",
    "io.jwt.decode(\"x\")",
    "net.cidr_intersects(\"10.0.0.0/8\", \"10.1.0.0/16\")",
    "regex.globs_match(\"a\", \"b\")",
    "strings.render_template(\"x\", {})",
    "net.lookup_ip_addr(\"example.com\")",
    "opa.runtime()",
    "rego.metadata.rule()",
])
def test_forbidden_builtins_refused(policy_copy, call):
    path = policy_copy / "govgate" / "routing" / "routing.rego"
    path.write_text(path.read_text() + f"\nprobe := {call}\n")
    with pytest.raises(PolicyLoadError, match="forbidden builtin"):
        PolicyBundle.load(policy_copy)


def test_print_in_tests_refused(policy_copy):
    path = policy_copy / "govgate" / "pii" / "pii_test.rego"
    path.write_text(path.read_text() + '\ntest_noisy if {\n\tprint("x")\n}\n')
    with pytest.raises(PolicyLoadError, match="forbidden builtin print"):
        PolicyBundle.load(policy_copy)


@pytest.mark.parametrize("source", [
    "# a `\nx := time.now_ns()\n# `\n",  # a backtick in a comment opens no raw string
    '# a "\ny := http.send({})\n# "\n',  # nor does a quote
    'msg := "#"\nz := opa.runtime()\n',  # a # inside a string starts no comment
])
def test_quotes_and_hashes_cannot_hide_a_forbidden_call(source):
    assert forbidden_calls("package govgate\n" + source) != []


def test_forbidden_names_in_comments_and_strings_are_fine():
    assert forbidden_calls('# http.send(x)\nmsg := "call time.now_ns() never"\n') == []
    assert forbidden_calls("x := trace(y)") == ["trace"]
    assert "print" in FORBIDDEN_BUILTINS


def test_reference_to_policy_root_refused(policy_copy):
    path = policy_copy / "govgate" / "access" / "access.rego"
    path.write_text(path.read_text() + "\ncfg := data.govgate\n")
    with pytest.raises(PolicyLoadError, match="references data.govgate itself"):
        PolicyBundle.load(policy_copy)


def test_package_must_mirror_folder(policy_copy):
    path = policy_copy / "govgate" / "access" / "access.rego"
    path.write_text(path.read_text().replace("package govgate.access", "package govgate.acl"))
    with pytest.raises(PolicyLoadError, match="does not match its folder"):
        PolicyBundle.load(policy_copy)


def test_schema_invalid_data_refused(policy_copy):
    path = policy_copy / "data" / "deployments.json"
    data = json.loads(path.read_text())
    data["demo-chat-eu"]["kind"] = "completion"
    path.write_text(json.dumps(data))
    with pytest.raises(PolicyLoadError, match="deployments.json: demo-chat-eu/kind"):
        PolicyBundle.load(policy_copy)


def test_data_without_schema_refused(policy_copy):
    (policy_copy / "data" / "extra.json").write_text("{}")
    with pytest.raises(PolicyLoadError, match="no schema"):
        PolicyBundle.load(policy_copy)


def test_broken_json_refused(policy_copy):
    (policy_copy / "data" / "roles.json").write_text("{not json")
    with pytest.raises(PolicyLoadError, match="not valid JSON"):
        PolicyBundle.load(policy_copy)


@pytest.mark.parametrize("engine_cls", [RegorusPolicyEngine, OpaGolibPolicyEngine])
def test_parse_error_refused_by_engines(policy_copy, engine_cls):
    path = policy_copy / "govgate" / "pii" / "pii.rego"
    path.write_text(path.read_text() + "\nbroken := {\n")
    with pytest.raises(PolicyLoadError):
        engine_cls(PolicyBundle.load(policy_copy))


@pytest.mark.parametrize("engine_cls", [RegorusPolicyEngine, OpaGolibPolicyEngine])
def test_undefined_decision_is_an_error(policy_copy, engine_cls):
    path = policy_copy / "govgate" / "decision.rego"
    path.write_text(path.read_text().replace("decision := {", "decision := {} if { false }\n\n_unused := {"))
    with pytest.raises(PolicyError):  # refused at warm-up already
        engine_cls(PolicyBundle.load(policy_copy))


@pytest.mark.parametrize("engine_cls", [RegorusPolicyEngine, OpaGolibPolicyEngine])
def test_engine_validates_result(policy_copy, engine_cls):
    path = policy_copy / "govgate" / "decision.rego"
    # A result that omits a PII action the contract requires, only for chat requests.
    path.write_text(path.read_text().replace(
        '"pii_actions": data.govgate.pii.actions,',
        '"pii_actions": {t: a | some t, a in data.govgate.pii.actions; input.request.kind != "chat"},',
    ))
    engine = engine_cls(PolicyBundle.load(policy_copy))
    with pytest.raises(PolicyResultInvalid, match="no pii action"):
        engine.evaluate(make_input(entity_types=("PERSON",)))


def test_explain_lists_rules_and_coverage(regorus_engine, opa_engine):
    policy_input = make_input(region="CN", basis="pipl-standard-contract", entity_types=("PERSON",))
    for engine in (regorus_engine, opa_engine):
        explanation = engine.explain(policy_input)
        assert isinstance(explanation.result, PolicyResult)
        assert {"RES-021", "PII-010"} <= set(explanation.rules)
        assert explanation.coverage and "govgate/residency/residency.rego" in explanation.coverage
