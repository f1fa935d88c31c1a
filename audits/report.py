"""The audit report: what `run_audit` returns and `govgate audit run` writes as report.json.

Typed all the way down so the HTML/PDF renderers, the scheduler and the API (later steps)
read the same fields. Ratios are group / reference; which side is adverse is the metric's
`direction`. No raw identifier appears: groups are the attribute values the callers sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

REPORT_SCHEMA_VERSION = "1"
Status = Literal["confirmed", "warning", "ok", "insufficient_data", "excluded"]
Direction = Literal["adverse", "favourable"]


class Factor(BaseModel):
    factor: str  # as the record names it (channel, message_chars, …); the audited attribute = unexplained
    share: float  # of the raw gap; shares sum to 1 (a factor pushing the other way is negative)


class Finding(BaseModel):
    attribute: str  # "gender", or an intersection "gender×age_band"
    group: str
    reference: str | None
    metric: str
    direction: Direction
    value: float | None
    reference_value: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    q: float | None
    n: int
    reference_n: int
    min_n: int | None  # the powered minimum per group (docs/audit-methodology.md)
    test: str | None  # mann-whitney, quantile-fisher, fisher
    status: Status
    reason: str
    adjusted_ratio: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None
    factors: list[Factor] = Field(default_factory=list)


class LL144Row(BaseModel):
    category: str
    count: int  # records in the category
    n: int  # records the rate is computed over
    rate: float | None
    impact_ratio: float | None
    excluded: bool
    reason: str | None = None


class LL144Table(BaseModel):
    """NYC Local Law 144 style: each category's rate and its ratio to the highest rate."""

    attribute: str
    metric: str
    reference: str | None  # the category with the highest rate among those rated
    unknown_count: int
    rows: list[LL144Row]


class GroupMetrics(BaseModel):
    """fairlearn MetricFrame's answer for one attribute: by group, overall, difference, ratio."""

    attribute: str
    by_group: dict[str, dict[str, float | None]]  # group -> metric -> value
    counts: dict[str, int]
    overall: dict[str, float | None]
    difference: dict[str, float | None]  # max - min over groups
    ratio: dict[str, float | None]  # min / max over groups


class PolicyVersionSeen(BaseModel):
    """A bundle that decided audited records, and its activation in force at the first of them."""

    bundle_hash: str | None
    records: int
    first_seen: datetime
    last_seen: datetime
    activated_at: datetime | None = None  # None: no activation recorded (e.g. imported records' bundle)
    activation_source: str | None = None


class Skipped(BaseModel):
    """Something the audit did not compute, and why (a metric no record has, an absent attribute)."""

    item: str
    reason: str


class LatencyDistribution(BaseModel):
    """One group's latency as an ECDF: `quantiles[i]` is the quantile (ms) at probability i / (len - 1).

    Evenly spaced points (101 by default, AuditConfig.ecdf_points) computed in SQL with
    `quantile_cont`, the same interpolation as the p50/p90/p95 metrics, so the curve passes
    through the values in the findings. Only groups with at least one value are listed.
    """

    attribute: str
    group: str
    latency: str  # the column the metrics are quantiles of: ttft, upstream_ttft, latency
    n: int  # values the points are computed over (completed requests)
    quantiles: list[float]


class AuditReport(BaseModel):
    schema_version: str = REPORT_SCHEMA_VERSION
    generated_at: datetime
    since: datetime | None
    until: datetime | None
    records: int  # audited
    data_sources: dict[str, int]  # gateway (proxied) / imported -> records audited
    left_out: dict[str, int]  # benchmark, other kinds -> records read and not audited
    attributes: list[str]
    policy_versions: list[PolicyVersionSeen]
    thresholds: dict[str, float]
    findings: list[Finding]
    ll144: list[LL144Table]
    group_metrics: list[GroupMetrics]
    skipped: list[Skipped]
    # Added in schema "1" without a bump (optional: a report written before it reads as empty).
    latency_distributions: list[LatencyDistribution] = Field(default_factory=list)
    methodology: str = "docs/audit-methodology.md"
