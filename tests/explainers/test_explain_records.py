"""Explanations from the stored record alone, on SQLite and PostgreSQL: the policy activation
in force at a decision, imported records (which may lack parts), and any record at all (Hypothesis)
rendering in both languages without failing or inventing a part."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from explainers.decision import account, explain
from explainers.text import render
from gateway.decision import STAGES, DecisionRecord, FindingRecord, RouteAttempt, RouteRecord, Timings
from gateway.outcome import OutcomeRecord
from gateway.pii.findings import FindingExplanation
from gateway.policy.documents import Reason
from gateway.policy.reload import Activation
from gateway.store.decision_log import DecisionLog
from gateway.store.policy_versions import PolicyVersion, record_activation
from tests.conftest import POLICY_DIR, write

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BUNDLE_A, BUNDLE_B = "a" * 64, "b" * 64




def activate(database, bundle: str, at: datetime, source: str = "startup") -> None:  # type: ignore[no-untyped-def]
    record_activation(database, Activation(bundle, at.isoformat(), source))


# --- the activation in force ----------------------------------------------------------------


def test_the_activation_in_force_is_the_bundles_last_before_the_decision(database) -> None:  # type: ignore[no-untyped-def]
    activate(database, BUNDLE_A, T0)
    activate(database, BUNDLE_B, T0 + timedelta(hours=1), "watch")
    activate(database, BUNDLE_A, T0 + timedelta(hours=2), "watch")  # a reload back to A
    log = DecisionLog(database)
    assert log.policy_activation(BUNDLE_A, at=T0 - timedelta(seconds=1)) is None
    assert log.policy_activation(BUNDLE_A, at=T0) == PolicyVersion(bundle_hash=BUNDLE_A, activated_at=T0,
                                                                   source="startup")
    assert log.policy_activation(BUNDLE_A, at=T0 + timedelta(minutes=90)).activated_at == T0
    later = log.policy_activation(BUNDLE_A, at=T0 + timedelta(hours=3))
    assert (later.activated_at, later.source) == (T0 + timedelta(hours=2), "watch")
    assert log.policy_activation(BUNDLE_B, at=T0 + timedelta(hours=3)).activated_at == T0 + timedelta(hours=1)
    assert log.policy_activation("c" * 64, at=T0 + timedelta(hours=3)) is None
    # A time in another zone is the same instant.
    in_shanghai = (T0 + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=8)))
    assert log.policy_activation(BUNDLE_A, at=in_shanghai).activated_at == T0


def test_a_decision_names_the_activation_it_ran_under(database) -> None:  # type: ignore[no-untyped-def]
    activate(database, BUNDLE_A, T0)
    activate(database, BUNDLE_B, T0 + timedelta(hours=1), "watch")
    [record] = write(database, [DecisionRecord(
        decision_id="dec_" + "1" * 32, created_at=T0 + timedelta(minutes=10), kind="chat", caller="support-bot",
        allowed=True, stage="completed", status_code=200, policy={"bundle_hash": BUNDLE_A, "engine": "regorus"})])
    document = explain(DecisionLog(database), record, lang="en")
    assert document.explanation.policy.activated_at == T0 and document.explanation.policy.activation_source == "startup"
    assert "activated 2026-12-01 09:00:00 UTC (startup)" in document.text


# --- imported records ---------------------------------------------------------------------


def _imported(**fields) -> DecisionRecord:  # type: ignore[no-untyped-def]
    return DecisionRecord(decision_id="dec_" + "2" * 32, created_at=T0, source="imported", kind="chat",
                          caller="legacy-bot", purpose="customer-support", **fields)


def test_an_imported_record_says_what_it_lacks(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    [record] = write(database, [_imported(allowed=False, status_code=403, stage=None,
                                          reasons=[Reason(rule_id="LEGACY-7", reason="region not served")])])
    log = DecisionLog(database)
    document = explain(log, record, lang="en")
    e = document.explanation
    assert e.source == "imported" and e.missing == ["policy", "findings", "route", "timings", "features"]
    assert e.verdict.allowed is False and [r.rule_id for r in e.verdict.denied_by] == ["LEGACY-7"]
    assert e.policy.bundle_hash is None and e.policy.activated_at is None and e.pii == []
    text = document.text
    assert "imported" in text and "does not carry: the policy, PII findings, the route, timings, features" in text
    # What it lacks is not claimed as a fact ("no PII was found", "no policy ran", zero timings).
    for claim in ("No PII was found", "No policy ran", "Timings", "No features", "not answered by any"):
        assert claim not in text
    assert "LEGACY-7: \u201cregion not served\u201d" in text
    zh = explain(log, record, lang="zh").text
    assert "导入" in zh and "未包含" in zh and "未发现个人信息" not in zh
    # The CLI reads it from the same database.
    env = {**os.environ, "GOVGATE_DATA_DIR": str(tmp_path / "data"), "GOVGATE_POLICY_DIR": str(POLICY_DIR),
           "GOVGATE_DATABASE_URL": database.url.render_as_string(hide_password=False)}
    printed = subprocess.run([sys.executable, "-m", "gateway.cli", "decisions", "explain", record.decision_id, "--json"],
                             env=env, capture_output=True, text=True, timeout=300)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == document.model_dump(mode="json")


def test_an_imported_record_with_its_parts_is_explained_like_any(database) -> None:  # type: ignore[no-untyped-def]
    finding = FindingRecord(entity_type="EMAIL_ADDRESS", location="messages[0].content", start=3, end=20, score=0.9,
                            language="en", action="redact",
                            explanation=FindingExplanation(recognizer="LegacyEmail", original_score=0.9))
    [record] = write(database, [_imported(
        allowed=True, status_code=200, stage="completed", findings=[finding], timings=Timings(total=12.5),
        route=RouteRecord(deployment="legacy-eu", region="EU",
                          attempts=[RouteAttempt(deployment="legacy-eu", region="EU", outcome="ok", duration_ms=9.0)]),
        policy={"bundle_hash": BUNDLE_A})])
    e = explain(DecisionLog(database), record, lang="en").explanation
    assert e.missing == ["features"] and e.pii[0].recognizer == "LegacyEmail" and e.pii[0].action_rule_id is None
    # The bundle hash is not this gateway's: no activation of it is known, and the text says so.
    assert e.policy.activated_at is None
    assert "its activation time is not recorded" in render(e, "en")


# --- any record -----------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=40)
_findings = st.lists(st.builds(
    FindingRecord, entity_type=_text, location=st.one_of(_text, st.just("choices[0].message.content")),
    start=st.integers(0, 10**6), end=st.integers(0, 10**6), score=st.floats(0, 1), language=st.sampled_from(["en", "zh"]),
    action=st.one_of(_text, st.sampled_from(["redact", "mask", "hash", "pseudonymise", "allow", "refuse"])),
    explanation=st.builds(FindingExplanation, recognizer=_text, original_score=st.floats(0, 1),
                          supportive_context_word=st.none() | _text, validation_result=st.none() | st.booleans())),
    max_size=3)
_attempts = st.lists(st.builds(RouteAttempt, deployment=_text, region=_text,
                               outcome=st.sampled_from(["ok", "timeout", "unavailable", "rejected", "malformed"]),
                               status=st.none() | st.integers(100, 599), duration_ms=st.floats(0, 1e6)), max_size=3)


@settings(max_examples=150, deadline=None)
@given(allowed=st.none() | st.booleans(), stage=st.none() | st.sampled_from(STAGES),
       source=st.sampled_from(["gateway", "imported"]), caller=st.none() | _text, purpose=st.none() | _text,
       reasons=st.lists(st.builds(Reason, rule_id=_text, reason=_text), max_size=3), findings=_findings,
       attempts=_attempts, bundle=st.none() | _text, outcomes=st.integers(0, 2))
def test_any_record_renders_in_both_languages(allowed, stage, source, caller, purpose, reasons, findings, attempts,  # type: ignore[no-untyped-def]
                                              bundle, outcomes) -> None:
    record = DecisionRecord(decision_id="dec_" + "3" * 32, created_at=T0, source=source, kind="chat", caller=caller,
                            purpose=purpose, allowed=allowed, stage=stage, reasons=reasons, findings=findings,
                            route=RouteRecord(attempts=attempts), policy={"bundle_hash": bundle}, status_code=200)
    reported = [OutcomeRecord(outcome_key="k" * 64, reported_by="bot", decision_id=record.decision_id,
                              outcome="resolved", occurred_at=T0, occurred_at_reported=True, recorded_at=T0)
                for _ in range(outcomes)]
    e = account(record, reported, None)
    assert len(e.pii) == len(findings) and len(e.route.attempts) == len(attempts) and len(e.outcomes) == outcomes
    assert e.route.failovers == max(len(attempts) - 1, 0)
    for lang in ("en", "zh"):
        text = render(e, lang)  # type: ignore[arg-type]
        assert text.startswith(("Decision dec_", "决策 dec_"))
        # Every rule the verdict names is in the text, with its id.
        for rule in [*e.verdict.denied_by, *e.verdict.reasons]:
            assert rule.rule_id in text
