"""run_audit over real ledgers (SQLite and PostgreSQL): records written through the ledger,
outcomes through the outcome store, disparities planted and found (or not)."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest

from audits import AuditConfig, AuditError, run_audit
from audits.report import AuditReport, Finding
from gateway.policy.reload import Activation
from gateway.store.decision_log import DecisionLog
from gateway.store.policy_versions import record_activation
from tests.audits.synthetic import SINCE, UNTIL, Population, records, report_outcomes, write

# Small resamples and models: the tests check the method's decisions, not its polish.
LATENCY = ("ttft_p50", "ttft_p95", "latency_p50")
FAST = AuditConfig(bootstrap_resamples=299, shap_sample=1500, shap_max_iter=30, intersections=(), metrics=LATENCY)


def audit(database, config: AuditConfig = FAST, **kwargs) -> AuditReport:  # type: ignore[no-untyped-def]
    return run_audit(DecisionLog(database), SINCE, UNTIL, config=config, **kwargs)


def finding(report: AuditReport, metric: str, group: str, attribute: str = "gender") -> Finding:
    [found] = [f for f in report.findings if f.metric == metric and f.group == group and f.attribute == attribute]
    return found


def test_a_planted_latency_gap_is_confirmed_against_the_most_favourable_group(database) -> None:  # type: ignore[no-untyped-def]
    made = write(database, records(Population(n=1000, slower={"female": 1.37}), seed=1))
    report = audit(database)
    slow = finding(report, "ttft_p50", "female")
    assert slow.status == "confirmed", slow.reason
    assert slow.reference == "male" and slow.direction == "adverse"
    assert slow.ci_low is not None and slow.ci_high is not None and slow.ci_low > 1.25 and slow.ci_low <= slow.ratio <= slow.ci_high
    assert slow.q is not None and slow.p is not None and slow.q >= slow.p and slow.q < 0.05
    # Latency is measured over completed requests only (a fast refusal would flatter a group).
    assert slow.n + slow.reference_n == sum(r.stage == "completed" for r in made) < report.records
    # Nothing legitimate explains it: the adjusted ratio stays, the unexplained part is the attribute.
    assert slow.adjusted_ci_low is not None and slow.adjusted_ci_low > 1.2
    assert slow.factors and slow.factors[0].factor == "gender"
    assert math.isclose(sum(f.share for f in slow.factors), 1.0, abs_tol=0.01)
    assert not [f for f in report.findings if f.group == "male"]  # the reference is not compared with itself


def test_a_gap_explained_by_channel_is_flagged_raw_and_adjusts_away(database) -> None:  # type: ignore[no-untyped-def]
    # Women reach the bot by phone far more often; phone is slower for everyone.
    write(database, records(Population(n=1000, phone_share={"female": 0.8, "male": 0.1}), seed=2))
    report = audit(database)
    raw = finding(report, "ttft_p50", "female")
    assert raw.ratio is not None and raw.ratio > 1.25 and raw.status in ("confirmed", "warning"), raw.reason
    assert raw.adjusted_ratio is not None and abs(raw.adjusted_ratio - 1) < 0.06
    assert raw.adjusted_ci_low is not None and raw.adjusted_ci_high is not None
    assert raw.adjusted_ci_low < 1 < raw.adjusted_ci_high
    assert raw.factors[0].factor == "channel" and raw.factors[0].share > 0.7


def test_tiny_small_and_unknown_groups_are_counted_and_never_flagged(database) -> None:  # type: ignore[no-untyped-def]
    population = Population(n=1200, gender={"female": 0.44, "male": 0.44, "nonbinary": 0.025, "x-rare": 0.01, None: 0.085},
                            slower={"nonbinary": 1.5, "x-rare": 2.5})
    made = write(database, records(population, seed=3))
    report = audit(database, AuditConfig(**{**FAST.model_dump(), "metrics": ("ttft_p50", "ttft_faster_share")}))
    rare = finding(report, "ttft_p50", "x-rare")
    assert rare.status == "excluded" and "under 2%" in rare.reason and rare.n > 0 and rare.ratio is not None
    small = finding(report, "ttft_p50", "nonbinary")
    assert small.status == "insufficient_data" and small.min_n is not None and small.n < small.min_n
    unknown = finding(report, "ttft_p50", "unknown")
    assert unknown.n > 0 and unknown.status != "excluded"
    without = sum(1 for r in made if "gender" not in r.customer_attributes)
    [table] = [t for t in report.ll144 if t.attribute == "gender" and t.metric == "ttft_faster_share"]
    assert table.unknown_count == without > 0
    rows = {row.category: row for row in table.rows}
    assert rows["x-rare"].excluded and rows["x-rare"].impact_ratio is None and "under 2%" in (rows["x-rare"].reason or "")
    assert rows["unknown"].excluded and rows["unknown"].count == without
    assert sum(row.count for row in table.rows) == report.records
    assert table.reference is not None and rows[table.reference].impact_ratio == 1.0
    metrics = next(g for g in report.group_metrics if g.attribute == "gender")
    assert set(metrics.counts) == {"female", "male", "nonbinary", "x-rare", "unknown"}


def test_benchmark_records_are_left_out_and_imported_ones_audited(database) -> None:  # type: ignore[no-untyped-def]
    write(database, records(Population(n=500), seed=4))
    write(database, records(Population(n=300, source="imported", first_index=500, bundles=("bundle-b",)), seed=5))
    # A benchmark run with a huge planted gap: if it were audited, women would be flagged.
    write(database, records(Population(n=400, pipeline_mode="benchmark", slower={"female": 3.0}, first_index=800),
                            seed=6))
    activated = SINCE - timedelta(days=2)
    record_activation(database, Activation(bundle_hash="bundle-a", activated_at=activated.isoformat(), source="startup"))
    report = audit(database)
    assert report.records == 800 and report.data_sources == {"gateway": 500, "imported": 300}
    assert report.left_out == {"benchmark": 400}
    assert [v.bundle_hash for v in report.policy_versions] == ["bundle-a", "bundle-b"]
    # The activation in force when bundle-a first decided; the imported records' bundle has none here.
    assert report.policy_versions[0].activated_at == activated and report.policy_versions[0].activation_source == "startup"
    assert report.policy_versions[1].activated_at is None
    assert sum(v.records for v in report.policy_versions) == 800
    assert not [f for f in report.findings if f.status == "confirmed"]


def test_outcome_rates_and_csat_come_from_the_outcome_chain(database) -> None:  # type: ignore[no-untyped-def]
    made = write(database, records(Population(n=800, default_blocked=0.0), seed=7))

    def outcome(record):  # type: ignore[no-untyped-def]
        bucket = int(record.decision_id[-4:], 16) % 20
        if record.customer_attributes.get("gender") == "female":
            return ("escalated", 2) if bucket < 12 else ("resolved", 4)  # 60 % escalated
        return ("escalated", 3) if bucket < 6 else ("resolved", 5)  # 30 %

    stored = report_outcomes(database, made, outcome)
    config = AuditConfig(**{**FAST.model_dump(), "metrics": ("escalated_rate", "resolved_rate", "csat_mean",
                                                            "refund_granted_rate", "blocked_rate")})
    report = audit(database, config)
    escalated = finding(report, "escalated_rate", "female")
    assert escalated.status == "confirmed" and escalated.reference == "male", escalated.reason
    assert escalated.n + escalated.reference_n == stored and escalated.test == "fisher"
    assert escalated.ci_low is not None and escalated.ci_low > 1.25
    resolved = finding(report, "resolved_rate", "female")
    assert resolved.direction == "favourable" and resolved.reference == "male" and resolved.ratio < 0.8
    csat = finding(report, "csat_mean", "female")
    assert csat.ratio is not None and csat.ratio < 0.8 and csat.status == "confirmed"
    skipped = {s.item for s in report.skipped}
    assert {"refund_granted_rate", "blocked_rate"} <= skipped  # no such event in the window


def test_a_configured_reference_is_used_and_an_unknown_one_refused(database) -> None:  # type: ignore[no-untyped-def]
    write(database, records(Population(n=400), seed=8))
    report = audit(database, reference={"gender": "female"})
    assert {f.reference for f in report.findings if f.attribute == "gender"} == {"female"}
    with pytest.raises(AuditError, match="reference group"):
        audit(database, reference={"gender": "nobody"})


def test_odd_attribute_names_and_values_are_data_not_sql(database) -> None:  # type: ignore[no-untyped-def]
    made = records(Population(n=300), seed=9)
    odd = ["女", "x'); DROP TABLE decisions; --", "e\u0301\u200b", "a" * 300]
    for i, record in enumerate(made):
        record.customer_attributes = {"性别\"]": odd[i % 4], "gender": record.customer_attributes["gender"]}
    write(database, made)
    report = audit(database)
    assert "性别\"]" in report.attributes
    assert {f.group for f in report.findings if f.attribute == "性别\"]"} | {
        f.reference for f in report.findings if f.attribute == "性别\"]"} == set(odd)
    json.dumps(report.model_dump(mode="json"), allow_nan=False)
    assert len(list(DecisionLog(database).window())) == 300


def test_an_empty_window_gives_an_empty_report(database) -> None:  # type: ignore[no-untyped-def]
    report = audit(database)
    assert report.records == 0 and report.findings == [] and report.ll144 == []
    assert {s.item for s in report.skipped} >= set(LATENCY)


def test_every_test_of_an_audit_gets_a_benjamini_hochberg_q(database) -> None:  # type: ignore[no-untyped-def]
    write(database, records(Population(n=900, slower={"female": 1.15}), seed=10))
    config = AuditConfig(bootstrap_resamples=199, shap_sample=800, shap_max_iter=20,
                         metrics=("ttft_p50", "ttft_p90", "blocked_rate", "redacted_rate", "ttft_faster_share"))
    report = audit(database, config)
    tested = [f for f in report.findings if f.p is not None]
    assert len(tested) >= 10  # gender and the gender × age_band intersection, every metric
    assert all(f.q is not None and f.p <= f.q <= 1 for f in tested)
    ranked = sorted(tested, key=lambda f: f.p)
    assert all(a.q <= b.q + 1e-12 for a, b in zip(ranked, ranked[1:]))
    m = len(tested)
    smallest = ranked[0]
    assert math.isclose(smallest.q, min(min(f.p * m / (i + 1) for i, f in enumerate(ranked)), 1.0))
    assert any(f.attribute == "gender×age_band" for f in report.findings)


def test_latency_ecdfs_pass_through_the_findings_quantiles(database) -> None:  # type: ignore[no-untyped-def]
    made = write(database, records(Population(n=600, gender={"female": 0.45, "male": 0.45, None: 0.1},
                                              slower={"female": 1.3}), seed=12))
    report = audit(database, AuditConfig(**{**FAST.model_dump(), "ecdf_points": 21,
                                            "metrics": ("ttft_p50", "ttft_p95", "blocked_rate")}))
    curves = {(d.attribute, d.group, d.latency): d for d in report.latency_distributions}
    # One curve per group of every attribute, for the one latency column the metrics use.
    assert set(curves) == {(a, g, "ttft") for a in ("age_band", "gender") for g in
                           {r.customer_attributes.get(a, "unknown") for r in made}}
    female = curves[("gender", "female", "ttft")]
    p50, p95 = finding(report, "ttft_p50", "female"), finding(report, "ttft_p95", "female")
    assert len(female.quantiles) == 21 and female.n == p50.n
    assert female.quantiles == sorted(female.quantiles)
    assert math.isclose(female.quantiles[10], p50.value, rel_tol=1e-6)  # probability 10/20 = 0.5
    assert math.isclose(female.quantiles[19], p95.value, rel_tol=1e-6)  # 19/20 = 0.95
    completed = [r.timings.client_ttfb for r in made if r.stage == "completed"
                 and r.customer_attributes.get("gender") == "female"]
    assert math.isclose(female.quantiles[0], min(completed), abs_tol=1e-3)
    assert math.isclose(female.quantiles[-1], max(completed), abs_tol=1e-3)
    # An older report without the field still reads.
    old = report.model_dump(mode="json")
    del old["latency_distributions"]
    assert AuditReport.model_validate(old).latency_distributions == []
