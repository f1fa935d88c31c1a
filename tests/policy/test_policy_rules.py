"""Known answers for each rule family, on both embedded engines."""

from __future__ import annotations

import pytest
from policy_inputs import make_input


def ids(reasons) -> set[str]:
    return {r.rule_id for r in reasons}


def deployments(result) -> list[str]:
    return [r.deployment for r in result.routes]


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["customer-support", "marketing"])
@pytest.mark.parametrize("kind,model", [("chat", "demo-chat"), ("embeddings", "demo-embed")])
def test_bot_allowed_for_sample_purposes(engine, purpose, kind, model):
    result = engine.evaluate(make_input(kind=kind, model=model, purpose=purpose))
    assert result.allow, result.deny
    assert result.deny == []
    assert result.models == ["demo-chat", "demo-embed"]
    assert all(r.base_url == "builtin:demo" for r in result.routes)


@pytest.mark.parametrize("purpose", ["credit-scoring", "hr-screening", ""])
def test_other_purposes_denied_with_reason(engine, purpose):
    result = engine.evaluate(make_input(purpose=purpose or None))
    assert not result.allow
    assert result.routes == []
    expected = "ACC-004" if purpose else "ACC-003"
    assert expected in ids(result.deny)
    assert all(r.reason for r in result.deny)


@pytest.mark.parametrize("roles", [("admin",), ("compliance_officer",), ("security_admin",)])
def test_only_bot_makes_model_calls(engine, roles):
    result = engine.evaluate(make_input(roles=roles))
    assert not result.allow
    assert "ACC-002" in ids(result.deny)


def test_unknown_role_denied(engine):
    result = engine.evaluate(make_input(roles=("intern",)))
    assert "ACC-001" in ids(result.deny)


def test_no_roles_denied(engine):
    result = engine.evaluate(make_input(roles=()))
    assert "ACC-001" in ids(result.deny)


def test_unknown_model_denied(engine):
    result = engine.evaluate(make_input(model="gpt-4o"))
    assert not result.allow
    assert {"ACC-006", "RTE-001"} <= ids(result.deny)


def test_model_kind_mismatch_denied(engine):
    result = engine.evaluate(make_input(kind="embeddings", model="demo-chat"))
    assert "RTE-002" in ids(result.deny)


def test_models_listing(engine):
    result = engine.evaluate(make_input(kind="models", model=None, purpose=None, region=None))
    assert result.allow
    assert result.models == ["demo-chat", "demo-embed"]
    assert result.routes == []


def test_admin_lists_no_models(engine):
    result = engine.evaluate(make_input(kind="models", model=None, purpose=None, roles=("admin",)))
    assert result.allow
    assert result.models == []


def test_compliance_officer_may_analyse_pii(engine):
    result = engine.evaluate(make_input(kind="pii", model=None, purpose=None, region=None, roles=("compliance_officer",)))
    assert result.allow


# --- residency ---------------------------------------------------------------------------


def test_eu_only_eu(engine):
    result = engine.evaluate(make_input(region="EU"))
    assert deployments(result) == ["demo-chat-eu"]
    assert "RES-010" in ids(result.reasons)
    assert any("GDPR" in r.reason for r in result.reasons)


def test_cn_stays_in_cn(engine):
    result = engine.evaluate(make_input(region="CN", kind="embeddings", model="demo-embed"))
    assert deployments(result) == ["demo-embed-cn"]
    assert any("PIPL" in r.reason for r in result.reasons)


def test_cn_cross_border_with_basis(engine):
    result = engine.evaluate(make_input(region="CN", basis="pipl-standard-contract"))
    assert deployments(result) == ["demo-chat-cn", "demo-chat-eu", "demo-chat-us"]
    assert "RES-021" in ids(result.reasons)


def test_cn_basis_not_accepted_for_marketing(engine):
    result = engine.evaluate(make_input(region="CN", purpose="marketing", basis="pipl-standard-contract"))
    assert deployments(result) == ["demo-chat-cn"]
    assert "RES-022" in ids(result.reasons)


def test_cn_unknown_basis_ignored(engine):
    result = engine.evaluate(make_input(region="CN", basis="we-promise"))
    assert deployments(result) == ["demo-chat-cn"]
    assert "RES-022" in ids(result.reasons)


def test_us_unrestricted_same_region_first(engine):
    result = engine.evaluate(make_input(region="US"))
    assert deployments(result)[0] == "demo-chat-us"
    assert set(deployments(result)) == {"demo-chat-us", "demo-chat-eu", "demo-chat-cn"}
    assert "RES-011" in ids(result.reasons)


def test_missing_region_denied(engine):
    result = engine.evaluate(make_input(region=None))
    assert not result.allow
    assert "RES-001" in ids(result.deny)


def test_unknown_region_denied(engine):
    result = engine.evaluate(make_input(region="BR"))
    assert not result.allow
    assert "RES-002" in ids(result.deny)


def test_region_case_insensitive(engine):
    assert deployments(engine.evaluate(make_input(region="eu"))) == ["demo-chat-eu"]


# --- PII ---------------------------------------------------------------------------------

CS_EXPECTED = {
    "PERSON": ("pseudonymise", None),
    "EMAIL_ADDRESS": ("pseudonymise", None),
    "PHONE_NUMBER": ("pseudonymise", None),
    "CREDIT_CARD": ("pseudonymise", None),
    "US_SSN": ("pseudonymise", None),
    "CN_RESIDENT_ID": ("pseudonymise", None),
    "SECRET": ("redact", None),
    "IP_ADDRESS": ("hash", None),
    "NEVER_SEEN_TYPE": ("redact", None),
}


def test_customer_support_pii_actions(engine):
    result = engine.evaluate(make_input(entity_types=tuple(CS_EXPECTED)))
    assert result.allow
    got = {t: (a.action, a.keep_last) for t, a in result.pii_actions.items()}
    assert got == CS_EXPECTED
    assert result.pii_actions["NEVER_SEEN_TYPE"].rule_id == "PII-011"


def test_marketing_redacts_every_finding(engine):
    types = ("PERSON", "EMAIL_ADDRESS", "CREDIT_CARD", "LOCATION", "ORGANIZATION", "CN_USCC", "X_NEW")
    result = engine.evaluate(make_input(purpose="marketing", entity_types=types))
    assert result.allow
    assert set(result.pii_actions) == set(types)
    assert {a.action for a in result.pii_actions.values()} == {"redact"}


def test_unknown_purpose_still_gets_safe_pii_actions(engine):
    result = engine.evaluate(make_input(purpose="credit-scoring", entity_types=("PERSON",)))
    assert not result.allow
    assert result.pii_actions["PERSON"].action == "redact"
    assert result.pii_actions["PERSON"].rule_id == "PII-012"


# --- output ------------------------------------------------------------------------------


def test_output_marketing_redacts_unsent_types(engine):
    result = engine.evaluate(make_input(purpose="marketing", entity_types=("PERSON",)))
    assert {a.action for a in result.output_pii_actions.values()} == {"redact"}
    assert "*" in result.output_pii_actions


def test_output_customer_support(engine):
    result = engine.evaluate(make_input(entity_types=("PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "SECRET")))
    out = result.output_pii_actions
    assert out["PHONE_NUMBER"].action == "allow"  # the caller's own number, restored
    assert out["PHONE_NUMBER"].rule_id == "OUT-010"
    assert out["CREDIT_CARD"].action == "allow"  # pseudonymised: the caller gets its own card back
    assert out["EMAIL_ADDRESS"].action == "redact"  # not sent: e.g. another customer's
    assert out["IBAN_CODE"].action == "redact"  # masked on the way in: never echo a full number
    assert (out["SECRET"].action, out["SECRET"].rule_id) == ("redact", "OUT-030")  # never, for anyone
    assert out["ORGANIZATION"].action == "allow"
    assert out["*"].action == "redact"
