"""The Rego unit tests (policies/**/*_test.rego) pass on regorus and on the real OPA engine."""

from __future__ import annotations

import pytest
from conftest import POLICY_DIR

from gateway.policy.testing import format_results, run_policy_tests


@pytest.mark.parametrize("engine_name", ["regorus", "opa"])
def test_rego_unit_tests_pass(engine_name):
    report = run_policy_tests(POLICY_DIR, engine=engine_name)
    text = format_results(report)
    assert report.ok, text
    assert report.exit_code == 0
    assert len(report.results) >= 50
    assert f"PASS: {len(report.results)}/{len(report.results)}" in text
    assert "data.govgate.access_test.test_bot_may_chat_for_customer_support: PASS (" in text


def test_both_engines_run_the_same_tests():
    names = [{r.path for r in run_policy_tests(POLICY_DIR, engine=e).results} for e in ("regorus", "opa")]
    assert names[0] == names[1]


@pytest.mark.parametrize("engine_name", ["regorus", "opa"])
def test_failing_rego_test_is_reported(policy_copy, engine_name):
    test_file = policy_copy / "govgate" / "access" / "access_test.rego"
    test_file.write_text(test_file.read_text() + "\ntest_deliberately_wrong if {\n\taccess.allow with input as {}\n}\n")
    report = run_policy_tests(policy_copy, engine=engine_name)
    assert not report.ok
    assert report.exit_code != 0
    assert report.failed == 1
    text = format_results(report, verbose=False)
    assert "data.govgate.access_test.test_deliberately_wrong: FAIL (" in text
    assert "FAIL: 1/" in text


def test_unknown_engine_rejected():
    with pytest.raises(ValueError):
        run_policy_tests(POLICY_DIR, engine="wasm")
