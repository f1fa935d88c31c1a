from gateway.benchmarks.pii import bench_analyze

# The benchmark's shape and what it calls, never how fast: speed is measured by the
# benchmarks themselves (make bench), not asserted in tests.
KEYS = {"language", "n", "chars", "p50_ms", "p95_ms", "p99_ms", "mean_ms"}


class CountingEngine:
    """The blank engine, counting the calls and the language hint each one got."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.hints: list[str | None] = []

    def analyze(self, text: str, *, language=None):  # type: ignore[no-untyped-def]
        self.hints.append(language)
        return self.engine.analyze(text, language=language)


def test_bench_reports_ordered_percentiles_over_n_timed_calls(blank_engine):
    for language in ("en", "zh"):
        engine = CountingEngine(blank_engine)
        result = bench_analyze(engine, language=language, n=20, warmup=2)
        assert set(result) == KEYS
        assert result["language"] == language and result["n"] == 20
        assert len(engine.hints) == 2 + 20  # the warm-up calls run, and are not in n
        assert engine.hints == [None] * 22  # language detection included, as the gateway calls it
        assert 0 <= result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
        assert result["mean_ms"] >= 0
        assert 250 <= result["chars"] <= 400


def test_bench_can_pass_the_language(blank_engine):
    engine = CountingEngine(blank_engine)
    bench_analyze(engine, language="zh", n=5, warmup=1, pass_language=True)
    assert engine.hints == ["zh"] * 6
