from gateway.benchmarks.pii import bench_analyze


def test_bench_reports_percentiles(blank_engine):
    for language in ("en", "zh"):
        result = bench_analyze(blank_engine, language=language, n=20, warmup=2)
        assert result["language"] == language and result["n"] == 20
        assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
        assert 250 <= result["chars"] <= 400
