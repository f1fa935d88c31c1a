"""Intervals, tests, multiple-testing control and the powered minimum sample.

Everything is vectorised over rows (numpy / scipy): no Python loop runs per decision.

    wilson(k, n)                      a rate's score interval
    rate_ratio_ci(k1, n1, k2, n2)     MOVER-R (Donner & Zou 2012) from the two Wilson intervals
    bootstrap_ratio_ci(x, y, stat)    percentile bootstrap of stat(x) / stat(y), vectorised
    quantile_ratio_ci(x, y, q)        the same for a quantile, drawn by order statistics (exact, O(resamples))
    fisher_p / mann_whitney_p / quantile_test_p
    benjamini_hochberg(p)             q-values over every test of one audit
    min_n_rate / min_n_latency / min_n_score   per-group sample for the stated power
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    z, p = _z(confidence), k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At k = 0 (k = n) the bound is exactly 0 (1): say so rather than leave rounding residue.
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


def rate_ratio_ci(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """An interval for (k1/n1) / (k2/n2); None for a bound that is unbounded (a zero reference)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, confidence)
    l2, u2 = wilson(k2, n2, confidence)
    if p2 == 0:  # unbounded above; below, the conservative ratio of the outer Wilson bounds
        return l1 / u2, None
    low_root = (p1 * p2) ** 2 - l1 * u2 * (2 * p2 - u2) * (2 * p1 - l1)
    low_denominator = u2 * (2 * p2 - u2)
    low = (p1 * p2 - math.sqrt(max(low_root, 0.0))) / low_denominator if low_denominator > 0 else 0.0
    high_root = (p1 * p2) ** 2 - u1 * l2 * (2 * p2 - l2) * (2 * p1 - u1)
    high_denominator = l2 * (2 * p2 - l2)
    high = (p1 * p2 + math.sqrt(max(high_root, 0.0))) / high_denominator if high_denominator > 0 else None
    return max(low, 0.0), high


def bootstrap_ratio_ci(x: np.ndarray, y: np.ndarray, statistic: Callable[..., np.ndarray], *,
                       confidence: float = 0.95, resamples: int = 999, max_n: int = 20_000,
                       rng: np.random.Generator) -> tuple[float | None, float | None]:
    """Percentile interval of statistic(x) / statistic(y), each sample resampled on its own.

    A sample larger than `max_n` is first subsampled (a wider, conservative interval; bounded
    memory: scipy builds `batch` resamples at a time)."""
    x, y = _at_most(x, max_n, rng), _at_most(y, max_n, rng)

    def ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return statistic(a, axis=axis) / statistic(b, axis=axis)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate sample (all equal) gives nan bounds, handled below
        result = stats.bootstrap((x, y), ratio, vectorized=True, paired=False, n_resamples=resamples,
                                 confidence_level=confidence, method="percentile", batch=50, rng=rng)
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return (low if np.isfinite(low) else None), (high if np.isfinite(high) else None)


def quantile_ratio_ci(x: np.ndarray, y: np.ndarray, q: float, *, confidence: float = 0.95, resamples: int = 999,
                      rng: np.random.Generator) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of quantile(x, q) / quantile(y, q), each sample resampled
    on its own — the interval `bootstrap_ratio_ci` gives, without building the resamples.

    A resample's q-quantile (numpy's default, linear between two order statistics) depends
    only on two of its order statistics, and their joint law is known exactly: resampling n
    values with replacement picks indexes floor(n·V) of the sorted sample, V uniform, and
    floor is monotone, so the resample's m-th smallest value is sorted[floor(n·V_(m))] with
    V_(m) ~ Beta(m, n-m+1); the next one lies above it at V_(m) + (1-V_(m))·Beta(1, n-m).
    Drawing those costs O(resamples) instead of O(resamples·n), so no group is subsampled
    (docs/audit-methodology.md; tests/audits/test_stats.py checks it against scipy's)."""
    alpha = (1 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero quantile: no bound, below
        ratios = _resampled_quantiles(x, q, resamples, rng) / _resampled_quantiles(y, q, resamples, rng)
        low, high = np.quantile(ratios, [alpha, 1 - alpha]) if np.isfinite(ratios).all() else (np.nan, np.nan)
    return (float(low) if np.isfinite(low) else None), (float(high) if np.isfinite(high) else None)


def _resampled_quantiles(values: np.ndarray, q: float, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """`resamples` draws of np.quantile(resample, q) for resamples of `values` with replacement."""
    ordered = np.sort(values)
    n = len(ordered)
    virtual = (n - 1) * q  # numpy's linear method: between the j-th and (j+1)-th (0-based)
    j = int(math.floor(virtual))
    weight = virtual - j
    m = j + 1  # the lower one's rank, 1-based
    lower_u = rng.beta(m, n - m + 1, size=resamples)
    lower = ordered[np.minimum((lower_u * n).astype(np.int64), n - 1)]
    if weight == 0 or m == n:
        return lower
    upper_u = lower_u + (1 - lower_u) * rng.beta(1, n - m, size=resamples)
    upper = ordered[np.minimum((upper_u * n).astype(np.int64), n - 1)]
    return lower + weight * (upper - lower)


def _at_most(values: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return values if len(values) <= n else rng.choice(values, size=n, replace=False)


def fisher_p(k1: int, n1: int, k2: int, n2: int) -> float:
    return float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


def mann_whitney_p(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) == 0 or len(y) == 0:
        return 1.0
    return float(stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue)


def quantile_test_p(x: np.ndarray, y: np.ndarray, q: float) -> float:
    """Whether two samples share their q-quantile: Fisher's exact test on the counts above the
    pooled q-quantile (Mood's median test, generalised to a tail quantile)."""
    cut = np.quantile(np.concatenate([x, y]), q)
    return fisher_p(int((x > cut).sum()), len(x), int((y > cut).sum()), len(y))


def benjamini_hochberg(p: Sequence[float]) -> list[float]:
    if not p:
        return []
    return [float(v) for v in stats.false_discovery_control(np.asarray(p, dtype=float), method="bh")]


# --- the powered minimum sample ---------------------------------------------------------
# Two-sided test at the nominal alpha (not the BH-adjusted one), equal group sizes, the
# effect being the confirm threshold itself. docs/audit-methodology.md gives the derivation.


def _two_proportions(p1: float, p2: float, alpha: float, power: float) -> float:
    if p1 == p2:
        return math.inf
    za, zb = float(stats.norm.ppf(1 - alpha / 2)), float(stats.norm.ppf(power))
    mean = (p1 + p2) / 2
    top = za * math.sqrt(2 * mean * (1 - mean)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return (top / (p1 - p2)) ** 2


def min_n_rate(base: float, ratio: float, alpha: float, power: float) -> float:
    """Rows per group to detect rate `base` against `base * ratio`."""
    if not 0 < base < 1:
        return math.inf
    return _two_proportions(base, min(base * ratio, 0.999), alpha, power)


def min_n_latency(log_sd: float, ratio: float, q: float, alpha: float, power: float) -> float:
    """Rows per group to detect latencies scaled by `ratio`, log-latency normal with sd `log_sd`.

    The median uses Mann-Whitney (a shift of log(ratio), efficiency 3/pi against the t-test);
    a tail quantile uses the count above it (q -> the share above moves from 1-q to
    1 - Phi(z_q - log(ratio)/sd))."""
    if not log_sd > 1e-9:  # no spread (a mean of equal floats leaves ~1e-16 of residue)
        return math.inf
    za, zb = float(stats.norm.ppf(1 - alpha / 2)), float(stats.norm.ppf(power))
    shift = math.log(ratio) / log_sd
    if q == 0.5:
        return 2 * (za + zb) ** 2 / shift ** 2 / (3 / math.pi)
    above = 1 - q
    return _two_proportions(above, float(1 - stats.norm.cdf(stats.norm.ppf(q) - shift)), alpha, power)


def min_n_score(mean: float, sd: float, ratio: float, alpha: float, power: float) -> float:
    """Rows per group to detect a mean score moving from `mean` to `mean * ratio` (Mann-Whitney)."""
    if not sd > 1e-9 * max(abs(mean), 1.0) or mean == 0:
        return math.inf
    za, zb = float(stats.norm.ppf(1 - alpha / 2)), float(stats.norm.ppf(power))
    return 2 * (za + zb) ** 2 * sd ** 2 / (mean * (1 - ratio)) ** 2 / (3 / math.pi)
