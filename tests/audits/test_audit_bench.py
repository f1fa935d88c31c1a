"""The audit benchmark's shape and that it finds what it plants, never how fast (make bench measures that)."""

from __future__ import annotations

from pathlib import Path

from gateway.benchmarks.audit import bench_audit


def test_the_audit_benchmark_audits_every_record_and_flags_the_planted_gap(tmp_path: Path) -> None:
    result = bench_audit(6_000, work_dir=tmp_path)
    assert result["records"] == 6_000
    assert sum(result["by_status"].values()) == result["findings"] > 0
    assert 0 < result["load_seconds"] and 0 < result["audit_seconds"]
    # Women's answers were planted 30% slower: the p50 gap is flagged at this size.
    assert result["planted_gap_flagged"]
