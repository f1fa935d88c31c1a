"""What an audit is configured with: thresholds, the reference choice, sample sizes.

One frozen model, checked when it is built; docs/audit-methodology.md says why each default
is what it is. Nothing here reads the environment: the caller (CLI, scheduler) builds it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The legitimate factors a record carries that may explain a gap (named as the record names them).
ADJUSTMENT_FACTORS = ("message_chars", "language", "channel", "model", "turns")


class AuditConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Which records: the request kinds audited (latency and outcomes mean something for chat).
    kinds: tuple[str, ...] = ("chat",)
    # Which metrics (audits/metrics.py names them); None: all of them.
    metrics: tuple[str, ...] | None = None
    # Pairs of attributes audited together (present in the records, else skipped).
    intersections: tuple[tuple[str, str], ...] = (("gender", "age_band"),)
    # attribute -> the reference group; an attribute not named takes its most favourable group.
    reference: dict[str, str] = Field(default_factory=dict)

    # Thresholds. Favourable metrics (resolved rate, faster-than-median share, CSAT) are flagged
    # below the impact ratio; adverse ones (latency, blocked / escalated rates) above the ratio.
    impact_ratio_confirm: float = Field(0.80, gt=0, lt=1)
    impact_ratio_warning: float = Field(0.90, gt=0, lt=1)
    latency_ratio_confirm: float = Field(1.25, gt=1)
    latency_ratio_warning: float = Field(1.10, gt=1)
    adverse_rate_ratio_confirm: float = Field(1.25, gt=1)
    adverse_rate_ratio_warning: float = Field(1.10, gt=1)

    # Tests and intervals.
    alpha: float = Field(0.05, gt=0, lt=1)  # for q (Benjamini-Hochberg) and the power calculation
    confidence: float = Field(0.95, gt=0.5, lt=1)
    power: float = Field(0.80, gt=0.5, lt=1)
    min_group_n: int = Field(30, ge=2)  # a floor under the computed minimum sample
    min_share: float = Field(0.02, ge=0, lt=0.5)  # below it a category is counted, shown, never flagged
    bootstrap_resamples: int = Field(999, ge=99)
    bootstrap_max_n: int = Field(20_000, ge=100)  # per group; a larger group is subsampled for the interval
    seed: int = 0
    # Points per group of the latency ECDFs in the report (quantiles at i / (points - 1)).
    ecdf_points: int = Field(101, ge=2, le=1001)

    # Explaining flagged gaps (explainers/disparity.py).
    explain_statuses: tuple[str, ...] = ("confirmed", "warning")
    factors: tuple[str, ...] = ADJUSTMENT_FACTORS
    adjust_max_n: int = Field(200_000, ge=100)
    # Rows SHAP explains (stratified): the mean SHAP difference settles well before this; at
    # most ~20k (TreeExplainer costs ~3.5 s per 20k rows here, and every flagged gap needs one).
    shap_sample: int = Field(5_000, ge=100, le=50_000)
    shap_explained: int = Field(2_000, ge=100, le=50_000)  # of those, rows whose SHAP values are computed
    shap_max_iter: int = Field(100, ge=5)

    @model_validator(mode="after")
    def _ordered(self) -> AuditConfig:
        from audits.metrics import BY_NAME

        unknown = [m for m in self.metrics or () if m not in BY_NAME]
        if unknown:
            raise ValueError(f"unknown metric {unknown[0]!r}; the metrics are: {', '.join(BY_NAME)}")
        if self.impact_ratio_warning <= self.impact_ratio_confirm:
            raise ValueError("impact_ratio_warning must lie above impact_ratio_confirm")
        if self.latency_ratio_warning >= self.latency_ratio_confirm:
            raise ValueError("latency_ratio_warning must lie below latency_ratio_confirm")
        if self.adverse_rate_ratio_warning >= self.adverse_rate_ratio_confirm:
            raise ValueError("adverse_rate_ratio_warning must lie below adverse_rate_ratio_confirm")
        return self
