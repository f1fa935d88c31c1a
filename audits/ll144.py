"""NYC Local Law 144 style tables: per category, its count, rate and impact ratio.

The impact ratio is a category's rate over the highest rate among the rated categories.
Rated: not "unknown" (LL144 reports the unknown count separately) and at least min_share of
the data (smaller categories are counted and shown, with the reason, but not rated).
"""

from __future__ import annotations

from audits.frame import UNKNOWN
from audits.metrics import GroupValue, Metric
from audits.report import LL144Row, LL144Table


def ll144_table(attribute: str, metric: Metric, groups: dict[str, GroupValue], total: int,
                min_share: float) -> LL144Table:
    def rated(name: str, value: GroupValue) -> bool:
        return (name != UNKNOWN and total > 0 and value.count / total >= min_share
                and value.values.get(metric.name) is not None)

    rates = {name: value.values[metric.name] for name, value in groups.items() if rated(name, value)}
    best = max(rates, key=lambda name: (rates[name], name), default=None)
    top = rates[best] if best is not None else None
    rows = []
    for name, value in sorted(groups.items(), key=lambda item: (item[0] == UNKNOWN, item[0])):
        rate = value.values.get(metric.name)
        reason = None
        if name == UNKNOWN:
            reason = "attribute not given: counted, not rated"
        elif total and value.count / total < min_share:
            reason = f"{value.count / total:.1%} of the data (under {min_share:.0%}): counted, not rated"
        elif rate is None:
            reason = "no rows to rate"
        impact = rate / top if name in rates and top else None
        rows.append(LL144Row(category=name, count=value.count, n=value.valid.get(metric.name, 0), rate=rate,
                             impact_ratio=impact, excluded=name not in rates, reason=reason))
    unknown = groups.get(UNKNOWN)
    return LL144Table(attribute=attribute, metric=metric.name, reference=best,
                      unknown_count=unknown.count if unknown else 0, rows=rows)
