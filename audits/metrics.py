"""The audit metrics, defined once: a column, a statistic, a direction.

Each definition renders two ways from the same fields: as a DuckDB aggregate (the group
tables, computed in SQL over the loaded rows or their Parquet export; the same SQL runs on
Spark SQL) and as a numpy function (the bootstrap, fairlearn's MetricFrame). `quantile_cont`
and numpy's default quantile both interpolate linearly, so the two agree (tests check it).

A metric is computed over the rows where its column is not null: latencies over completed
requests, outcome rates over decisions with a reported outcome (audits/frame.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np

Family = Literal["latency", "rate", "score"]


@dataclass(frozen=True)
class Metric:
    name: str
    column: str  # in the audit view (audits/frame.py, plus the *_faster shares below)
    statistic: Literal["quantile", "mean"]
    direction: Literal["adverse", "favourable"]
    family: Family
    q: float | None = None
    ll144: bool = False  # a favourable rate: also tabled as LL144 selection / scoring rate

    def sql(self) -> str:
        if self.statistic == "quantile":
            return f"quantile_cont({self.column}, {self.q})"
        return f"avg({self.column})"

    def numpy(self) -> Callable[..., np.ndarray]:
        """The statistic along an axis (vectorised: the bootstrap passes a stack of resamples)."""
        if self.statistic == "quantile":
            q = self.q
            return lambda x, axis=-1: np.quantile(x, q, axis=axis)
        return lambda x, axis=-1: np.mean(x, axis=axis)


def _quantiles(prefix: str, column: str) -> list[Metric]:
    return [Metric(f"{prefix}_p{int(q * 100)}", column, "quantile", "adverse", "latency", q) for q in (0.5, 0.9, 0.95)]


def _rate(name: str, column: str, direction: Literal["adverse", "favourable"], *, ll144: bool = False) -> Metric:
    return Metric(name, column, "mean", direction, "rate", ll144=ll144)


METRICS: tuple[Metric, ...] = (
    *_quantiles("ttft", "ttft"),  # the caller's first byte (client_ttfb)
    *_quantiles("upstream_ttft", "upstream_ttft"),
    *_quantiles("latency", "latency"),  # the caller's last byte (client_total; total before schema 2 timings)
    # LL144's scoring rate for a continuous score: the share answered faster than the pooled median.
    _rate("ttft_faster_share", "ttft_faster", "favourable", ll144=True),
    _rate("latency_faster_share", "latency_faster", "favourable", ll144=True),
    _rate("blocked_rate", "blocked", "adverse"),
    _rate("refused_rate", "refused", "adverse"),
    _rate("redacted_rate", "redacted", "adverse"),
    _rate("resolved_rate", "o_resolved", "favourable", ll144=True),
    _rate("escalated_rate", "o_escalated", "adverse"),
    _rate("refund_granted_rate", "o_refund_granted", "favourable", ll144=True),
    _rate("refund_denied_rate", "o_refund_denied", "adverse"),
    _rate("abandoned_rate", "o_abandoned", "adverse"),
    Metric("csat_mean", "csat", "mean", "favourable", "score"),
)
BY_NAME = {m.name: m for m in METRICS}
# The shares below the pooled median are derived in the view, from the same columns.
FASTER = {"ttft_faster": "ttft", "latency_faster": "latency"}


def create_view(connection: duckdb.DuckDBPyConnection, source: str, groups: dict[str, str]) -> None:
    """`audit`: the loaded rows, the shares faster than the pooled median, and the group columns
    (`groups`: column -> SQL over a<i> columns, written by us from positions, never from input)."""
    faster = ", ".join(
        f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} < (SELECT quantile_cont({col}, 0.5) FROM {source}) "
        f"THEN 1.0 ELSE 0.0 END AS {name}" for name, col in FASTER.items())
    grouped = "".join(f", {expression} AS {name}" for name, expression in groups.items())
    connection.execute(f"CREATE OR REPLACE TEMP VIEW audit AS SELECT *, {faster}{grouped} FROM {source}")


@dataclass(frozen=True)
class GroupValue:
    count: int  # rows in the group
    values: dict[str, float | None]  # metric -> value
    valid: dict[str, int]  # metric -> rows it is computed over


def group_table(connection: duckdb.DuckDBPyConnection, group_column: str,
                metrics: Sequence[Metric] = METRICS) -> tuple[dict[str, GroupValue], GroupValue]:
    """Every group's metrics and the overall ones, in one statement (GROUPING SETS)."""
    aggregates = ", ".join(f"{m.sql()}, count({m.column})" for m in metrics)
    rows = connection.execute(
        f"SELECT grouping({group_column}) AS overall, {group_column}, count(*), {aggregates} "
        f"FROM audit GROUP BY GROUPING SETS (({group_column}), ())").fetchall()
    groups: dict[str, GroupValue] = {}
    overall = GroupValue(0, {}, {})
    for row in rows:
        values = {m.name: _number(row[3 + 2 * i]) for i, m in enumerate(metrics)}
        valid = {m.name: int(row[4 + 2 * i]) for i, m in enumerate(metrics)}
        value = GroupValue(int(row[2]), values, valid)
        if row[0]:
            overall = value
        else:
            groups[row[1]] = value
    return groups, overall


def values_of(connection: duckdb.DuckDBPyConnection, group_column: str, group: str, column: str) -> np.ndarray:
    """One group's non-null values of one column: the small array a test needs."""
    found = connection.execute(f"SELECT {column} FROM audit WHERE {group_column} = ? AND {column} IS NOT NULL",
                               [group]).fetchnumpy()
    return np.asarray(found[column], dtype=float)


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if np.isfinite(number) else None
