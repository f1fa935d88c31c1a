"""The statistical parts on their own: intervals, tests, BH, the minimum sample, the metric
definitions' two renderings (DuckDB SQL and numpy) agreeing, and the status order."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from audits import stats
from audits.compare import compare_rate
from audits.config import AuditConfig
from audits.metrics import BY_NAME, METRICS, create_view, group_table
from audits.status import decide

counts = st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))


@given(counts, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_a_wilson_interval_holds_its_rate(kn: tuple[int, int], confidence: float) -> None:
    k, n = kn
    low, high = stats.wilson(k, n, confidence)
    assert 0 <= low <= k / n <= high <= 1
    assert stats.wilson(k, n, 0.5 + confidence / 2 - 0.25)[1] - low >= 0


@given(counts, counts)
def test_a_rate_ratio_interval_brackets_the_ratio(first: tuple[int, int], second: tuple[int, int]) -> None:
    (k1, n1), (k2, n2) = first, second
    low, high = stats.rate_ratio_ci(k1, n1, k2, n2)
    assert low is not None and low >= 0
    if k2 == 0:
        assert high is None  # a zero reference rate: the ratio is unbounded above
        return
    ratio = (k1 / n1) / (k2 / n2)
    assert high is not None and low <= ratio * (1 + 1e-9) and ratio <= high * (1 + 1e-9)


def test_the_rate_ratio_interval_covers_at_about_its_level() -> None:
    rng = np.random.default_rng(0)
    n1, n2, p1, p2 = 300, 400, 0.12, 0.2
    k1, k2 = rng.binomial(n1, p1, 2000), rng.binomial(n2, p2, 2000)
    covered = sum(lo <= p1 / p2 <= hi for lo, hi in (stats.rate_ratio_ci(a, n1, b, n2) for a, b in zip(k1, k2)))
    assert 0.92 <= covered / 2000 <= 0.98


@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=200))
def test_benjamini_hochberg_q_is_at_least_p_and_keeps_its_order(p: list[float]) -> None:
    q = stats.benjamini_hochberg(p)
    assert all(pi <= qi + 1e-12 and qi <= 1 for pi, qi in zip(p, q))
    order = np.argsort(p, kind="stable")
    assert all(q[a] <= q[b] + 1e-12 for a, b in zip(order, order[1:]))
    m = len(p)
    assert math.isclose(min(q), min(min(sorted(p)[i] * m / (i + 1) for i in range(m)), 1.0), abs_tol=1e-12)


def test_the_bootstrap_interval_is_vectorised_and_brackets_a_known_ratio() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.lognormal(np.log(500), 0.3, 800), rng.lognormal(np.log(400), 0.3, 900)
    low, high = stats.bootstrap_ratio_ci(x, y, BY_NAME["ttft_p50"].numpy(), rng=rng, resamples=999)
    assert low is not None and high is not None and low < 1.25 < high and high - low < 0.2
    same = np.full(50, 3.0)
    assert stats.bootstrap_ratio_ci(same, same, BY_NAME["csat_mean"].numpy(), rng=rng, resamples=199) in (
        (1.0, 1.0), (None, None))


@pytest.mark.parametrize("n", [1, 2, 37, 400])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95])
def test_order_statistic_draws_have_the_law_of_resampled_quantiles(n: int, q: float) -> None:
    """The shortcut must draw what resampling would give: same law (two-sample KS), ties included."""
    rng = np.random.default_rng(n)
    values = np.round(rng.lognormal(6, 0.5, n), -1)  # rounded: ties, as real latencies have
    drawn = stats._resampled_quantiles(values, q, 3000, np.random.default_rng(11))
    brute = np.quantile(rng.choice(values, size=(3000, n), replace=True), q, axis=1)
    assert scipy_stats.ks_2samp(drawn, brute).pvalue > 0.001


def test_the_quantile_interval_agrees_with_scipys_bootstrap() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.lognormal(np.log(520), 0.4, 3000), rng.lognormal(np.log(400), 0.4, 2500)
    for metric in ("ttft_p50", "ttft_p95"):
        q = BY_NAME[metric].q
        fast = stats.quantile_ratio_ci(x, y, q, resamples=4999, rng=np.random.default_rng(4))
        slow = stats.bootstrap_ratio_ci(x, y, BY_NAME[metric].numpy(), resamples=4999, rng=np.random.default_rng(4))
        assert all(math.isclose(a, b, rel_tol=0.015) for a, b in zip(fast, slow)), (metric, fast, slow)


def test_the_quantile_interval_has_no_bound_against_a_zero_quantile() -> None:
    rng = np.random.default_rng(5)
    assert stats.quantile_ratio_ci(np.ones(30), np.zeros(30), 0.5, rng=rng) == (None, None)
    assert stats.quantile_ratio_ci(np.full(30, 2.0), np.full(40, 2.0), 0.9, rng=rng) == (1.0, 1.0)


@settings(max_examples=40, deadline=None, database=None)
@given(x=st.lists(st.floats(1, 1e5), min_size=1, max_size=60), y=st.lists(st.floats(1, 1e5), min_size=1, max_size=60),
       scale=st.floats(0.01, 100), q=st.sampled_from([0.5, 0.9, 0.95]))
def test_the_quantile_interval_is_ordered_and_scales_with_the_data(x: list[float], y: list[float], scale: float,
                                                                   q: float) -> None:
    low, high = stats.quantile_ratio_ci(np.array(x), np.array(y), q, resamples=199, rng=np.random.default_rng(0))
    assert low is not None and high is not None and 0 < low <= high
    scaled = stats.quantile_ratio_ci(np.array(x) * scale, np.array(y), q, resamples=199, rng=np.random.default_rng(0))
    assert math.isclose(scaled[0], low * scale, rel_tol=1e-9) and math.isclose(scaled[1], high * scale, rel_tol=1e-9)


def test_latency_tests_separate_a_shift_and_a_tail() -> None:
    rng = np.random.default_rng(2)
    base = rng.lognormal(6, 0.35, 1000)
    assert stats.mann_whitney_p(base * 1.3, rng.lognormal(6, 0.35, 1000)) < 1e-6
    assert stats.mann_whitney_p(base, rng.lognormal(6, 0.35, 1000)) > 1e-3
    tail = np.where(rng.random(1000) < 0.1, base * 3, base)  # same median, a heavy tail
    assert stats.quantile_test_p(tail, rng.lognormal(6, 0.35, 1000), 0.95) < 1e-3


def test_the_minimum_sample_grows_with_noise_and_shrinks_with_the_effect() -> None:
    assert stats.min_n_latency(0.35, 1.25, 0.5, 0.05, 0.8) < stats.min_n_latency(0.7, 1.25, 0.5, 0.05, 0.8)
    assert stats.min_n_latency(0.35, 1.5, 0.95, 0.05, 0.8) < stats.min_n_latency(0.35, 1.25, 0.95, 0.05, 0.8)
    # The textbook figure: 10 % against 12.5 % at 80 % power, two-sided 5 %: about 2,500 per group.
    assert 2300 < stats.min_n_rate(0.10, 1.25, 0.05, 0.80) < 2700
    assert math.isinf(stats.min_n_rate(0.0, 1.25, 0.05, 0.8)) and math.isinf(stats.min_n_latency(0.0, 1.25, 0.5, 0.05, 0.8))


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "ç", "unknown"]),
                          st.one_of(st.none(), st.floats(min_value=0.1, max_value=1e5, allow_nan=False))),
                min_size=1, max_size=80))
def test_the_sql_and_numpy_renderings_of_a_metric_agree(rows: list[tuple[str, float | None]]) -> None:
    groups = [g for g, _ in rows]
    values = [v for _, v in rows]
    table = pa.table({"a0": groups, **{c: values for c in ("ttft", "upstream_ttft", "latency")},
                      **{m.column: [None if v is None else float(v > 500) for v in values]
                         for m in METRICS if m.family == "rate" and m.column not in ("ttft_faster", "latency_faster")},
                      "csat": values})
    connection = duckdb.connect()
    connection.register("rows", table)
    create_view(connection, "rows", {})
    by_group, overall = group_table(connection, "a0")
    for metric in METRICS:
        for name, value in [*by_group.items(), ("*", overall)]:
            column = connection.execute(f"SELECT {metric.column} FROM audit"
                                        + (" WHERE a0 = ?" if name != "*" else ""),
                                        [name] if name != "*" else []).fetchnumpy()[metric.column]
            present = np.asarray([v for v in column if v is not None and not np.ma.is_masked(v)], dtype=float)
            assert value.valid[metric.name] == len(present)
            if len(present):
                assert math.isclose(value.values[metric.name], float(metric.numpy()(present)), rel_tol=1e-9,
                                    abs_tol=1e-9)
            else:
                assert value.values[metric.name] is None


@pytest.mark.parametrize(("ratio", "ci", "q", "expected"), [
    (1.4, (1.3, 1.5), 0.001, "confirmed"),
    (1.4, (1.2, 1.6), 0.001, "warning"),  # beyond 1.25, the interval not all beyond it
    (1.4, (1.3, 1.5), 0.2, "warning"),  # beyond 1.25, not significant
    (1.15, (1.12, 1.18), 0.001, "warning"),  # beyond 1.10 and significant
    (1.15, (0.9, 1.4), 0.3, "ok"),
    (1.02, (0.98, 1.06), 0.001, "ok"),
])
def test_the_status_order_for_an_adverse_latency(ratio: float, ci: tuple[float, float], q: float,
                                                 expected: str) -> None:
    status, reason = decide(BY_NAME["ttft_p50"], share=0.4, n=500, reference_n=500, min_n=60, ratio=ratio,
                            ci_low=ci[0], ci_high=ci[1], q=q, config=AuditConfig())
    assert status == expected and reason


def test_excluded_comes_before_insufficient_and_both_before_confirmed() -> None:
    config = AuditConfig()
    strong = dict(ratio=2.0, ci_low=1.8, ci_high=2.2, q=1e-9, config=config)
    assert decide(BY_NAME["ttft_p50"], share=0.01, n=10, reference_n=500, min_n=60, **strong)[0] == "excluded"
    assert decide(BY_NAME["ttft_p50"], share=0.05, n=10, reference_n=500, min_n=60, **strong)[0] == "insufficient_data"
    assert decide(BY_NAME["ttft_p50"], share=0.05, n=100, reference_n=500, min_n=None, **strong)[0] == "insufficient_data"
    favourable = dict(ratio=0.6, ci_low=0.5, ci_high=0.7, q=1e-9, config=config)
    assert decide(BY_NAME["resolved_rate"], share=0.4, n=900, reference_n=900, min_n=60, **favourable)[0] == "confirmed"


@given(counts, counts)
def test_a_rate_comparison_is_coherent(first: tuple[int, int], second: tuple[int, int]) -> None:
    (k1, n1), (k2, n2) = first, second
    result = compare_rate(BY_NAME["blocked_rate"], k1 / n1, n1, k2 / n2, n2, AuditConfig())
    assert result.p is not None and 0 <= result.p <= 1
    if result.ratio is not None and result.ci_high is not None:
        assert result.ci_low <= result.ratio * (1 + 1e-9) and result.ratio <= result.ci_high * (1 + 1e-9)
    assert result.min_n is None or result.min_n >= AuditConfig().min_group_n


def test_a_config_refuses_disordered_thresholds_and_unknown_metrics() -> None:
    with pytest.raises(ValueError, match="latency_ratio_warning"):
        AuditConfig(latency_ratio_confirm=1.2, latency_ratio_warning=1.3)
    with pytest.raises(ValueError, match="unknown metric"):
        AuditConfig(metrics=("ttft_p99",))


def test_tied_samples_give_no_p_rather_than_nan() -> None:
    import audits.compare as compare

    tied = np.full(200, 250.0)
    result = compare.compare_latency(BY_NAME["ttft_p50"], tied, tied.copy(), AuditConfig(bootstrap_resamples=99),
                                     np.random.default_rng(0))
    assert result.ratio == 1.0 and (result.p is None or 0 <= result.p <= 1)
    assert result.min_n is None  # no spread: nothing could be powered
