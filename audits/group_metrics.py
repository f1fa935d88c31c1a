"""fairlearn's MetricFrame over the audit rows: by group, overall, difference, ratio.

The metric functions are the numpy renderings of audits/metrics.py (the same definitions as
the SQL). All metrics ride in one MetricFrame: y_true is each row's position in the matrix
of metric columns, and each function reads its own column at those rows, skipping nulls (a
matrix as y_true would have fairlearn stack one small array per row, for every metric).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from audits.metrics import Metric
from audits.report import GroupMetrics


def _function(metric: Metric, column: np.ndarray) -> Callable[[np.ndarray, np.ndarray], float]:
    statistic = metric.numpy()

    def compute(y_true: np.ndarray, _y_pred: np.ndarray) -> float:
        values = column[np.asarray(y_true, dtype=np.int64)]
        values = values[~np.isnan(values)]
        return float(statistic(values)) if len(values) else float("nan")

    return compute


def group_metrics(attribute: str, rows: pd.DataFrame, group_column: str, metrics: Sequence[Metric]) -> GroupMetrics:
    """`rows`: the group column and each metric's column (null where the metric does not apply)."""
    matrix = rows[[m.column for m in metrics]].to_numpy(dtype=float, na_value=np.nan)
    frame = MetricFrame(metrics={m.name: _function(m, matrix[:, i]) for i, m in enumerate(metrics)},
                        y_true=np.arange(len(rows)),
                        y_pred=np.zeros(len(rows)), sensitive_features=rows[group_column].rename(attribute))
    by_group = {str(group): {name: _finite(value) for name, value in values.items()}
                for group, values in frame.by_group.to_dict(orient="index").items()}
    counts = {str(k): int(v) for k, v in rows[group_column].value_counts().items()}
    return GroupMetrics(attribute=attribute, by_group=by_group, counts=counts,
                        overall={k: _finite(v) for k, v in frame.overall.items()},
                        difference={k: _finite(v) for k, v in frame.difference().items()},
                        ratio={k: _finite(v) for k, v in frame.ratio().items()})


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
