"""No planted disparity → no confirmed finding (over several seeds); the explainer on its own;
and `govgate audit run` as an operator runs it (a subprocess reading GOVGATE_* settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from audits import AuditConfig, run_audit
from explainers.disparity import explain_gap
from gateway.store.audits import AuditLog
from gateway.store.db import make_engine, migrate
from gateway.store.decision_log import DecisionLog
from tests.audits.synthetic import SINCE, UNTIL, Population, records, write

REPO = Path(__file__).resolve().parents[2]
NULL = AuditConfig(bootstrap_resamples=199, shap_sample=800, shap_max_iter=20,
                   metrics=("ttft_p50", "ttft_p95", "latency_p90", "blocked_rate", "ttft_faster_share"))


def test_no_disparity_no_confirmed_finding_over_seeds(tmp_path: Path) -> None:
    tested = flagged = 0
    for seed in range(4):  # SQLite only: the storage paths are covered in test_audit.py
        engine = make_engine(f"sqlite:///{tmp_path / f'null-{seed}.db'}")
        migrate(engine)
        write(engine, records(Population(n=800), seed=100 + seed))
        report = run_audit(DecisionLog(engine), SINCE, UNTIL, config=NULL)
        engine.dispose()
        assert not [f for f in report.findings if f.status == "confirmed"]
        tested += sum(f.p is not None for f in report.findings)
        flagged += sum(f.status == "warning" for f in report.findings)
    assert tested >= 40 and flagged <= tested * 0.1


def test_the_explainer_attributes_a_confounded_gap_to_its_factor() -> None:
    rng = np.random.default_rng(3)
    n = 1500
    group = rng.random(n) < 0.5
    channel = np.where(rng.random(n) < np.where(group, 0.7, 0.1), "phone", "web")
    y = np.exp(6 + rng.normal(0, 0.3, n)) * np.where(channel == "phone", 2.0, 1.0)
    factors = pd.DataFrame({"message_chars": rng.integers(1, 500, n), "channel": channel, "model": "m",
                            "turns": rng.integers(1, 4, n), "language": None})
    explained = explain_gap(y, group, factors, scale="log", attribute="gender", shap_sample=1000, max_iter=30)
    assert explained.adjusted_ratio is not None and abs(explained.adjusted_ratio - 1) < 0.05
    assert explained.factors[0].factor == "channel" and explained.factors[0].share > 0.8
    # A rate with a real gap and no factor behind it: the attribute carries it.
    outcome = (rng.random(n) < np.where(group, 0.3, 0.15)).astype(float)
    rate = explain_gap(outcome, group, factors, scale="rate", attribute="gender", shap_sample=1000, max_iter=30)
    assert rate.adjusted_ci_low is not None and rate.adjusted_ci_low > 1.3 and rate.factors[0].factor == "gender"
    # Only one side present: nothing to compare, said plainly.
    alone = explain_gap(y, np.ones(n, dtype=bool), factors, scale="log", attribute="gender")
    assert alone.adjusted_ratio is None and alone.factors == []


def _govgate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVGATE_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    env.pop("GOVGATE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)


def test_the_cli_writes_the_report_as_json_html_and_pdf(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'govgate.db'}")
    migrate(engine)
    write(engine, records(Population(n=300, slower={"female": 1.6}), seed=11))
    engine.dispose()
    helped = _govgate(tmp_path, "audit", "run", "--help")
    assert helped.returncode == 0 and "HTML and PDF" in helped.stdout.replace("\n", " ")
    done = _govgate(tmp_path, "audit", "run", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat(),
                    "--attributes", "gender", "--reference", "gender=male", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["records"] == 300 and report["attributes"] == ["gender"]
    keys = {"attribute", "group", "reference", "metric", "value", "reference_value", "ratio", "ci_low", "ci_high",
            "p", "q", "n", "status", "reason", "adjusted_ratio", "adjusted_ci_low", "adjusted_ci_high", "factors"}
    assert report["findings"] and all(keys <= set(f) for f in report["findings"])
    assert {f["reference"] for f in report["findings"]} == {"male"}
    assert any(f["metric"] == "ttft_p50" and f["status"] == "confirmed" for f in report["findings"])
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {"report.json", "report.html", "report.pdf"}
    assert all(f"wrote {out / name}" in done.stdout for name in ("report.json", "report.html", "report.pdf"))
    assert "Bias audit report" in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
    # In Chinese, with the trend against the first run.
    again = _govgate(tmp_path, "audit", "run", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat(),
                     "--attributes", "gender", "--reference", "gender=male", "--out", str(tmp_path / "zh"),
                     "--lang", "zh", "--previous", str(out / "report.json"))
    assert again.returncode == 0, again.stderr
    page = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert "偏差审计报告" in page and '<table class="trend">' in page and "无上次审计" not in page
    broken = tmp_path / "broken.json"
    broken.write_text('{"records": "many", "secret": "do-not-echo"}', encoding="utf-8")
    for previous, said in ((broken, "--previous is not an audit report.json"),
                           (tmp_path / "absent.json", "--previous cannot be read")):
        refused = _govgate(tmp_path, "audit", "run", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat(),
                           "--out", str(tmp_path / "never"), "--previous", str(previous))
        assert refused.returncode == 2 and said in refused.stderr and "Traceback" not in refused.stderr
        assert "do-not-echo" not in refused.stderr and not (tmp_path / "never").exists()
    german = _govgate(tmp_path, "audit", "run", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat(),
                      "--out", "x", "--lang", "de")
    assert german.returncode == 2 and "--lang" in german.stderr
    bad = _govgate(tmp_path, "audit", "run", "--since", "yesterday", "--until", UNTIL.isoformat(), "--out", "x")
    assert bad.returncode == 2 and "--since must be an ISO 8601 date or time" in bad.stderr
    assert "Traceback" not in bad.stderr and "yesterday" not in bad.stderr
    backwards = _govgate(tmp_path, "audit", "run", "--since", UNTIL.isoformat(), "--until", SINCE.isoformat(),
                         "--out", "x")
    assert backwards.returncode == 2 and "--until must come after --since" in backwards.stderr
    # Each run is recorded (trigger cli), with its report and files, as the API serves them;
    # durations back from now work too (nothing in the last day: an empty, stored audit).
    recent = _govgate(tmp_path, "audit", "run", "--since", "1d", "--out", str(tmp_path / "recent"))
    assert recent.returncode == 0, recent.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'govgate.db'}")
    try:
        stored_runs = AuditLog(engine).page(trigger="cli")  # newest first: the 1d run, the Chinese one, the first
        assert len(stored_runs) == 3
        newest, chinese, first = stored_runs
        assert "偏差审计报告" in AuditLog(engine).file(chinese.id, "html").content.decode("utf-8")
        assert newest.records == 0 and newest.status == "done" and newest.id in recent.stdout
        assert first.status == "done" and first.records == 300 and first.summary["confirmed"] >= 1
        stored = AuditLog(engine).get(first.id)
        assert stored.report_verified and json.loads(stored.report_text) == report
        assert AuditLog(engine).file(first.id, "json").content == (tmp_path / "out" / "report.json").read_bytes()
    finally:
        engine.dispose()
    unstored = _govgate(tmp_path, "audit", "run", "--since", "1d", "--out", str(tmp_path / "plain"), "--no-store")
    assert unstored.returncode == 0 and "(audit" not in unstored.stdout
