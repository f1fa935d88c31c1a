"""One comparison: a group against its reference on one metric — ratio, interval, p, minimum n.

The status is decided later (audits/status.py), once every p of the audit is known and the
Benjamini-Hochberg q-values can be computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from audits import stats
from audits.config import AuditConfig
from audits.metrics import Metric


@dataclass
class Comparison:
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    min_n: int | None
    test: str | None

    def __post_init__(self) -> None:
        # A test on degenerate samples (every value tied) can give nan: no p, rather than a nan in JSON.
        if self.p is not None and not math.isfinite(self.p):
            self.p = None
        if self.ratio is not None and not math.isfinite(self.ratio):
            self.ratio = None


def confirm_ratio(metric: Metric, config: AuditConfig) -> float:
    if metric.direction == "favourable":
        return config.impact_ratio_confirm
    return config.latency_ratio_confirm if metric.family == "latency" else config.adverse_rate_ratio_confirm


def warning_ratio(metric: Metric, config: AuditConfig) -> float:
    if metric.direction == "favourable":
        return config.impact_ratio_warning
    return config.latency_ratio_warning if metric.family == "latency" else config.adverse_rate_ratio_warning


def _ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None:
        return None
    if reference == 0:
        return 1.0 if value == 0 else None
    return value / reference


def compare_rate(metric: Metric, value: float, n: int, reference_value: float, reference_n: int,
                 config: AuditConfig) -> Comparison:
    k, k_ref = round(value * n), round(reference_value * reference_n)
    low, high = stats.rate_ratio_ci(k, n, k_ref, reference_n, config.confidence)
    pooled = (k + k_ref) / (n + reference_n)
    needed = stats.min_n_rate(pooled, confirm_ratio(metric, config), config.alpha, config.power)
    return Comparison(ratio=_ratio(value, reference_value), ci_low=low, ci_high=high,
                      p=stats.fisher_p(k, n, k_ref, reference_n), min_n=_minimum(needed, config), test="fisher")


def compare_latency(metric: Metric, x: np.ndarray, y: np.ndarray, config: AuditConfig,
                    rng: np.random.Generator) -> Comparison:
    statistic = metric.numpy()
    value, reference = float(statistic(x)), float(statistic(y))
    low, high = stats.quantile_ratio_ci(x, y, metric.q or 0.5, confidence=config.confidence,
                                        resamples=config.bootstrap_resamples, rng=rng)
    positive_x, positive_y = np.log(x[x > 0]), np.log(y[y > 0])
    needed = stats.min_n_latency(_pooled_sd(positive_x, positive_y), confirm_ratio(metric, config),
                                 metric.q or 0.5, config.alpha, config.power)
    if metric.q == 0.5:
        p, test = stats.mann_whitney_p(x, y), "mann-whitney"
    else:
        p, test = stats.quantile_test_p(x, y, metric.q or 0.5), "quantile-fisher"
    return Comparison(ratio=_ratio(value, reference), ci_low=low, ci_high=high, p=p,
                      min_n=_minimum(needed, config), test=test)


def compare_score(metric: Metric, x: np.ndarray, y: np.ndarray, config: AuditConfig,
                  rng: np.random.Generator) -> Comparison:
    statistic = metric.numpy()
    low, high = stats.bootstrap_ratio_ci(x, y, statistic, confidence=config.confidence,
                                         resamples=config.bootstrap_resamples, max_n=config.bootstrap_max_n, rng=rng)
    pooled = np.concatenate([x, y])
    needed = stats.min_n_score(float(pooled.mean()), _pooled_sd(x, y), confirm_ratio(metric, config),
                               config.alpha, config.power)
    return Comparison(ratio=_ratio(float(statistic(x)), float(statistic(y))), ci_low=low, ci_high=high,
                      p=stats.mann_whitney_p(x, y), min_n=_minimum(needed, config), test="mann-whitney")


def _pooled_sd(x: np.ndarray, y: np.ndarray) -> float:
    """Within-group sd (the gap itself does not inflate it)."""
    if len(x) + len(y) < 3:
        return math.nan
    squares = (len(x) - 1) * (x.var(ddof=1) if len(x) > 1 else 0) + (len(y) - 1) * (y.var(ddof=1) if len(y) > 1 else 0)
    return float(math.sqrt(squares / (len(x) + len(y) - 2)))


def _minimum(needed: float, config: AuditConfig) -> int | None:
    """None: no sample would do (no events, no spread): the comparison cannot be powered."""
    if not math.isfinite(needed):
        return None
    return max(config.min_group_n, math.ceil(needed))
