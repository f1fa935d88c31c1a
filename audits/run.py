"""`run_audit`: the decision log in a window → an AuditReport (JSON; renderers come later).

    load (DecisionLog.batches → arrow)          audits/frame.py
    group tables in SQL (DuckDB)                audits/metrics.py
    per comparison: ratio, interval, p, min n   audits/compare.py
    Benjamini-Hochberg over every test          audits/stats.py
    status and reason                           audits/status.py
    flagged gaps: adjusted ratio and SHAP       explainers/disparity.py
    LL144 tables, MetricFrame                   audits/ll144.py, audits/group_metrics.py
    latency ECDF points per group (SQL)         _Audit._distributions

Seams for the later steps: the scheduler calls run_audit with a window and a config; the
webhook reads `findings` by status; renderers read the report's fields, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np

from audits.compare import Comparison, compare_latency, compare_rate, compare_score
from audits.config import AuditConfig
from audits.errors import AuditError
from audits.frame import UNKNOWN, AuditFrame, load
from audits.group_metrics import group_metrics
from audits.ll144 import ll144_table
from audits.metrics import METRICS, GroupValue, Metric, create_view, group_table, values_of
from audits.report import AuditReport, Factor, Finding, LatencyDistribution, PolicyVersionSeen, Skipped
from audits.stats import benjamini_hochberg
from audits.status import decide
from explainers.disparity import GapExplanation, explain_gap
from gateway.store.decision_log import DecisionLog

INTERSECTION = "×"


@dataclass(frozen=True)
class Grouping:
    label: str  # "gender", "gender×age_band"
    column: str  # a<i> or x<j> in the audit view
    parts: tuple[str, ...]  # the attributes it is made of


def run_audit(log: DecisionLog, since: datetime | None, until: datetime | None, attributes: list[str] | None = None,
              reference: dict[str, str] | None = None, config: AuditConfig = AuditConfig()) -> AuditReport:
    if reference:
        config = config.model_copy(update={"reference": {**config.reference, **reference}})
    frame = load(log, since=since, until=until, kinds=config.kinds)
    connection = duckdb.connect()
    try:
        connection.register("audit_rows", frame.table)
        skipped: list[Skipped] = []
        groupings = _groupings(frame, attributes, config, skipped)
        create_view(connection, "audit_rows", {g.column: _expression(frame, g) for g in groupings
                                               if len(g.parts) > 1})
        return _Audit(log, connection, frame, config, since, until, groupings, skipped).report()
    finally:
        connection.close()


def _groupings(frame: AuditFrame, attributes: list[str] | None, config: AuditConfig,
               skipped: list[Skipped]) -> list[Grouping]:
    wanted = list(dict.fromkeys(attributes)) if attributes is not None else list(frame.attributes)
    groupings = []
    for name in wanted:
        if name in frame.attributes:
            groupings.append(Grouping(name, frame.column_of(name), (name,)))
        else:
            skipped.append(Skipped(item=f"attribute:{name}", reason="no audited record carries this attribute"))
    present = {g.label for g in groupings}
    for j, (first, second) in enumerate(config.intersections):
        if first in present and second in present:
            groupings.append(Grouping(f"{first}{INTERSECTION}{second}", f"x{j}", (first, second)))
    return groupings


def _expression(frame: AuditFrame, grouping: Grouping) -> str:
    return f" || ' {INTERSECTION} ' || ".join(frame.column_of(part) for part in grouping.parts)


class _Audit:
    def __init__(self, log: DecisionLog, connection: duckdb.DuckDBPyConnection, frame: AuditFrame, config: AuditConfig,
                 since: datetime | None, until: datetime | None, groupings: list[Grouping],
                 skipped: list[Skipped]) -> None:
        self.log, self.connection, self.frame, self.config = log, connection, frame, config
        self.since, self.until, self.groupings, self.skipped = since, until, groupings, skipped
        self.rng = np.random.default_rng(config.seed)
        self._values: dict[tuple[str, str, str], np.ndarray] = {}
        # One explanation per (grouping, group, reference, column): p50, p90 and p95 share it.
        self._explained: dict[tuple[str, str, str | None, str], GapExplanation] = {}

    def report(self) -> AuditReport:
        total = self.frame.table.num_rows
        tables = {g.label: group_table(self.connection, g.column) for g in self.groupings}
        metrics = self._metrics_with_data(tables)
        pending: list[tuple[Grouping, Metric, Finding, float]] = []
        for grouping in self.groupings:
            groups, _ = tables[grouping.label]
            for metric in metrics:
                pending += self._compare(grouping, metric, groups, total)
        qs = iter(benjamini_hochberg([f.p for _, _, f, _ in pending if f.p is not None]))
        findings = []
        for grouping, metric, finding, share in pending:
            if finding.p is not None:
                finding.q = next(qs)
            finding.status, finding.reason = decide(
                metric, share=share, n=finding.n, reference_n=finding.reference_n, min_n=finding.min_n,
                ratio=finding.ratio, ci_low=finding.ci_low, ci_high=finding.ci_high, q=finding.q, config=self.config)
            if finding.status in self.config.explain_statuses:
                self._explain(grouping, metric, finding)
            findings.append(finding)
        return AuditReport(
            generated_at=datetime.now(UTC), since=self.since, until=self.until, records=total,
            data_sources=self._sources(), left_out=dict(sorted(self.frame.left_out.items())),
            attributes=[g.label for g in self.groupings], policy_versions=self._policy_versions(),
            thresholds=self._thresholds(), findings=findings,
            ll144=[ll144_table(g.label, m, tables[g.label][0], total, self.config.min_share)
                   for g in self.groupings for m in metrics if m.ll144],
            group_metrics=[self._group_metrics(g, metrics) for g in self.groupings], skipped=self.skipped,
            latency_distributions=self._distributions(metrics))

    def _metrics_with_data(self, tables: dict[str, tuple[dict[str, GroupValue], GroupValue]]) -> list[Metric]:
        overall = next(iter(tables.values()))[1] if tables else None
        kept = []
        chosen = [m for m in METRICS if self.config.metrics is None or m.name in self.config.metrics]
        for metric in chosen:
            if overall is None or overall.valid.get(metric.name, 0) == 0:
                self.skipped.append(Skipped(item=metric.name, reason="no audited record has this metric "
                                            "(e.g. no outcome reported, no completed request)"))
            elif metric.family == "rate" and not overall.values.get(metric.name):
                self.skipped.append(Skipped(item=metric.name, reason="no audited record had this event"))
            else:
                kept.append(metric)
        return kept

    def _compare(self, grouping: Grouping, metric: Metric, groups: dict[str, GroupValue],
                 total: int) -> list[tuple[Grouping, Metric, Finding, float]]:
        reference = self._reference(grouping, metric, groups, total)
        found = []
        for name, value in sorted(groups.items()):
            if name == reference:
                continue
            n = value.valid[metric.name]
            ref = groups.get(reference) if reference is not None else None
            reference_n = ref.valid[metric.name] if ref else 0
            comparison = Comparison(None, None, None, None, None, None)
            if ref is not None and n >= 2 and reference_n >= 2:
                comparison = self._comparison(grouping, metric, name, value, reference, ref)
            finding = Finding(
                attribute=grouping.label, group=name, reference=reference, metric=metric.name,
                direction=metric.direction, value=value.values[metric.name],
                reference_value=ref.values[metric.name] if ref else None, ratio=comparison.ratio,
                ci_low=comparison.ci_low, ci_high=comparison.ci_high, p=comparison.p, q=None, n=n,
                reference_n=reference_n, min_n=comparison.min_n, test=comparison.test, status="ok", reason="")
            found.append((grouping, metric, finding, value.count / total if total else 0.0))
        return found

    def _reference(self, grouping: Grouping, metric: Metric, groups: dict[str, GroupValue], total: int) -> str | None:
        """The configured group, else the most favourable eligible one (LL144: the highest rate)."""
        chosen = self.config.reference.get(grouping.label)
        if chosen is not None:
            if chosen not in groups:
                raise AuditError(f"reference group {chosen!r} for {grouping.label}: no audited record has it")
            return chosen
        eligible = {name: value.values[metric.name] for name, value in groups.items()
                    if name != UNKNOWN and value.count / total >= self.config.min_share
                    and value.valid[metric.name] >= self.config.min_group_n and value.values[metric.name] is not None}
        if not eligible:
            return None
        sign = 1 if metric.direction == "favourable" else -1
        return max(eligible, key=lambda name: (sign * eligible[name], name))

    def _comparison(self, grouping: Grouping, metric: Metric, name: str, value: GroupValue, reference: str,
                    ref: GroupValue) -> Comparison:
        if metric.family == "rate":
            return compare_rate(metric, value.values[metric.name] or 0.0, value.valid[metric.name],
                                ref.values[metric.name] or 0.0, ref.valid[metric.name], self.config)
        x, y = self._array(grouping, name, metric.column), self._array(grouping, reference, metric.column)
        if metric.family == "latency":
            return compare_latency(metric, x, y, self.config, self.rng)
        return compare_score(metric, x, y, self.config, self.rng)

    def _array(self, grouping: Grouping, group: str, column: str) -> np.ndarray:
        key = (grouping.column, group, column)
        if key not in self._values:
            self._values[key] = values_of(self.connection, grouping.column, group, column)
        return self._values[key]

    def _explain(self, grouping: Grouping, metric: Metric, finding: Finding) -> None:
        key = (grouping.column, finding.group, finding.reference, metric.column)
        if key not in self._explained:
            self._explained[key] = self._explanation(grouping, metric, finding)
        explained = self._explained[key]
        finding.adjusted_ratio = explained.adjusted_ratio
        finding.adjusted_ci_low, finding.adjusted_ci_high = explained.adjusted_ci_low, explained.adjusted_ci_high
        finding.factors = [Factor(factor=f.factor, share=f.share) for f in explained.factors]

    def _explanation(self, grouping: Grouping, metric: Metric, finding: Finding) -> GapExplanation:
        factors = [f for f in self.config.factors if f not in grouping.parts]
        selected = ", ".join(factors)
        rows = self.connection.execute(
            f"SELECT {metric.column} AS y, {grouping.column} = ? AS in_group{', ' + selected if factors else ''} "
            f"FROM audit WHERE {grouping.column} IN (?, ?) AND {metric.column} IS NOT NULL",
            [finding.group, finding.group, finding.reference]).df()
        return explain_gap(rows["y"].to_numpy(dtype=float), rows["in_group"].to_numpy(dtype=bool),
                                rows[factors], scale="log" if metric.family == "latency" else "rate",
                                attribute=grouping.label, confidence=self.config.confidence,
                                adjust_max_n=self.config.adjust_max_n, shap_sample=self.config.shap_sample,
                                shap_explained=self.config.shap_explained,
                                max_iter=self.config.shap_max_iter, seed=self.config.seed)

    def _sources(self) -> dict[str, int]:
        rows = self.connection.execute("SELECT source, count(*) FROM audit_rows GROUP BY source ORDER BY source")
        return {"gateway": 0, "imported": 0, **{str(source): int(n) for source, n in rows.fetchall()}}

    def _policy_versions(self) -> list[PolicyVersionSeen]:
        rows = self.connection.execute(
            "SELECT bundle_hash, count(*), min(created_at), max(created_at) FROM audit_rows "
            "GROUP BY bundle_hash ORDER BY min(created_at), bundle_hash").fetchall()
        seen = []
        for bundle_hash, n, first, last in rows:
            activation = self.log.policy_activation(bundle_hash, at=first) if bundle_hash else None
            seen.append(PolicyVersionSeen(bundle_hash=bundle_hash, records=int(n), first_seen=first, last_seen=last,
                                          activated_at=activation.activated_at if activation else None,
                                          activation_source=activation.source if activation else None))
        return seen

    def _group_metrics(self, grouping: Grouping, metrics: list[Metric]):  # type: ignore[no-untyped-def]
        columns = ", ".join(dict.fromkeys(m.column for m in metrics))
        rows = self.connection.execute(f"SELECT {grouping.column}, {columns} FROM audit").df()
        return group_metrics(grouping.label, rows, grouping.column, metrics)

    def _distributions(self, metrics: list[Metric]) -> list[LatencyDistribution]:
        """Per grouping, each group's ECDF points of each latency column, in one SQL statement."""
        columns = list(dict.fromkeys(m.column for m in metrics if m.family == "latency"))
        if not columns:
            return []
        k = self.config.ecdf_points
        points = "[" + ", ".join(repr(i / (k - 1)) for i in range(k)) + "]"
        selected = ", ".join(f"count({c}), quantile_cont({c}, {points})" for c in columns)
        found = []
        for grouping in self.groupings:
            rows = self.connection.execute(f"SELECT {grouping.column}, {selected} FROM audit "
                                           f"GROUP BY {grouping.column} ORDER BY {grouping.column}").fetchall()
            for row in rows:
                for i, column in enumerate(columns):
                    n, quantiles = int(row[1 + 2 * i]), row[2 + 2 * i]
                    if n:
                        found.append(LatencyDistribution(attribute=grouping.label, group=row[0], latency=column, n=n,
                                                         quantiles=[round(float(v), 3) for v in quantiles]))
        return found

    def _thresholds(self) -> dict[str, float]:
        c = self.config
        return {"impact_ratio_confirm": c.impact_ratio_confirm, "impact_ratio_warning": c.impact_ratio_warning,
                "latency_ratio_confirm": c.latency_ratio_confirm, "latency_ratio_warning": c.latency_ratio_warning,
                "adverse_rate_ratio_confirm": c.adverse_rate_ratio_confirm,
                "adverse_rate_ratio_warning": c.adverse_rate_ratio_warning, "alpha": c.alpha,
                "confidence": c.confidence, "power": c.power, "min_share": c.min_share}
