"""A finding's status and its reason, decided in one place and in one order:

excluded (the category is under min_share of the data) → insufficient_data (below the powered
minimum, or nothing to compare with) → confirmed (q < alpha and the whole interval beyond the
confirm threshold) → warning (the estimate beyond the warning threshold and q < alpha, or
beyond the confirm threshold without the evidence) → ok.
"""

from __future__ import annotations

from audits.compare import confirm_ratio, warning_ratio
from audits.config import AuditConfig
from audits.metrics import Metric
from audits.report import Status


def decide(metric: Metric, *, share: float, n: int, reference_n: int, min_n: int | None, ratio: float | None,
           ci_low: float | None, ci_high: float | None, q: float | None,
           config: AuditConfig) -> tuple[Status, str]:
    if share < config.min_share:
        return "excluded", (f"the category is {share:.1%} of the audited records (under {config.min_share:.0%}): "
                            "counted and shown, not flagged")
    if min_n is None:
        return "insufficient_data", "no events or no spread in either group: the comparison cannot be powered"
    if min(n, reference_n) < min_n:
        return "insufficient_data", (f"{min(n, reference_n)} rows on the smaller side; {min_n} per group are needed "
                                     f"for {config.power:.0%} power at the confirm threshold")
    if ratio is None or q is None:
        return "insufficient_data", "the ratio is undefined (the reference value is zero)"
    confirm, warn = confirm_ratio(metric, config), warning_ratio(metric, config)
    if metric.direction == "favourable":
        beyond = lambda r: r is not None and r < confirm  # noqa: E731
        beyond_warning = ratio < warn
        interval_beyond = beyond(ci_high)
        side = "below"
    else:
        beyond = lambda r: r is not None and r > confirm  # noqa: E731
        beyond_warning = ratio > warn
        interval_beyond = beyond(ci_low)
        side = "above"
    significant = q < config.alpha
    if significant and interval_beyond:
        return "confirmed", f"q {q:.3g} < {config.alpha} and the whole interval lies {side} {confirm}"
    if beyond(ratio):
        return "warning", (f"ratio {ratio:.3f} is {side} {confirm} but the evidence falls short "
                           f"(q {q:.3g}, interval {_bound(ci_low)}–{_bound(ci_high)})")
    if significant and beyond_warning:
        return "warning", f"ratio {ratio:.3f} is {side} {warn} with q {q:.3g} < {config.alpha}"
    return "ok", f"ratio {ratio:.3f} is within the thresholds" if not beyond_warning else (
        f"ratio {ratio:.3f} is {side} {warn} but not significant (q {q:.3g})")


def _bound(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:.3f}"
