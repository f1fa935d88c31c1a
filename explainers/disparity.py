"""Explained and unexplained: how much of a group gap the record's legitimate factors account for.

Two views of one gap between a group and its reference:

- **Adjusted ratio** (with an interval): the gap left once the factors are held equal, from
  a regression with a group indicator. Latency: OLS of log latency, so exp(coefficient) is the
  ratio of geometric means at equal factors. Rates and scores: a log-link quasi-Poisson GLM
  ("modified Poisson", Zou 2004), so exp(coefficient) is the ratio of rates / means. Both
  with heteroscedasticity-robust (sandwich, HC1-scaled) standard errors.
- **Attribution** of the raw gap with SHAP: a gradient-boosted model of the metric on the
  factors and the group indicator, explained by `shap.TreeExplainer` (tree_path_dependent,
  no background data), on a stratified sample. The mean prediction gap between the group
  and the reference is the sum over features of their mean SHAP differences; each factor's
  share is its part of that sum. The group indicator's share is the unexplained part, named
  by the audited attribute.

Inputs are arrays and a factor frame whose columns are named as the record names them
(message_chars, language, channel, model, turns): nothing here knows the store or the audit.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from scipy import stats
from threadpoolctl import threadpool_limits

Scale = Literal["log", "rate"]
NUMERIC = ("message_chars", "turns")  # the other factors are categories
MAX_LEVELS = 20  # categories beyond the most frequent are pooled as "other"


class Factor(BaseModel):
    factor: str
    share: float


class GapExplanation(BaseModel):
    adjusted_ratio: float | None
    adjusted_ci_low: float | None
    adjusted_ci_high: float | None
    factors: list[Factor] = Field(default_factory=list)  # largest |share| first
    n: int  # rows the adjustment used
    method: str


def explain_gap(y: np.ndarray, in_group: np.ndarray, factors: pd.DataFrame, *, scale: Scale, attribute: str,
                confidence: float = 0.95, adjust_max_n: int = 200_000, shap_sample: int = 20_000,
                shap_explained: int = 2_000, max_iter: int = 100, seed: int = 0) -> GapExplanation:
    """`y`: the metric per row (latency in ms, or a 0/1 indicator, or a score); `in_group`: True for
    the group, False for the reference; `factors`: one column per factor, rows aligned with y."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=float)
    in_group = np.asarray(in_group, dtype=bool)
    keep = np.isfinite(y) & ((y > 0) if scale == "log" else np.ones(len(y), dtype=bool))
    y, in_group, factors = y[keep], in_group[keep], factors.loc[keep].reset_index(drop=True)
    design, blocks = _design(factors)
    method = "log-latency OLS" if scale == "log" else "quasi-Poisson log-link GLM"
    if in_group.all() or not in_group.any():
        return GapExplanation(adjusted_ratio=None, adjusted_ci_low=None, adjusted_ci_high=None, n=len(y),
                              method=method)
    rows = _stratified(in_group, adjust_max_n, rng)
    target = np.log(y) if scale == "log" else y
    coefficient, se = _group_effect(target[rows], in_group[rows], design[rows], scale)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if coefficient is None or se is None:
        ratio = low = high = None
    else:
        ratio, low, high = (_exp(coefficient), _exp(coefficient - z * se), _exp(coefficient + z * se))
    sample = _stratified(in_group, shap_sample, rng)
    shares = _shap_shares(target[sample], in_group[sample], design[sample], blocks, attribute, max_iter, seed,
                          explained=_stratified(in_group[sample], shap_explained, rng))
    return GapExplanation(adjusted_ratio=ratio, adjusted_ci_low=low, adjusted_ci_high=high, factors=shares,
                          n=int(len(rows)), method=method)


def _exp(value: float) -> float | None:
    try:
        result = math.exp(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def _design(factors: pd.DataFrame) -> tuple[np.ndarray, dict[str, list[int]]]:
    """Numeric factors (log1p of a size, a missing indicator) and one-hot categories; `blocks`
    maps each factor to its design columns (SHAP values of one factor's columns add up)."""
    columns: list[np.ndarray] = []
    blocks: dict[str, list[int]] = {}
    for name in factors.columns:
        values = factors[name]
        start = len(columns)
        if name in NUMERIC:
            number = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            missing = ~np.isfinite(number)
            filled = np.where(missing, np.nanmedian(number) if (~missing).any() else 0.0, number)
            columns.append(np.log1p(np.clip(filled, 0, None)))
            if missing.any() and not missing.all():
                columns.append(missing.astype(float))
        else:
            text = values.astype("object").where(values.notna(), "unknown").astype(str)
            top = text.value_counts().index[:MAX_LEVELS]
            text = text.where(text.isin(top), "other")
            for level in sorted(set(text))[1:]:  # the first level is the baseline
                columns.append((text == level).to_numpy(dtype=float))
        kept = [i for i in range(start, len(columns)) if np.ptp(columns[i]) > 0]
        if kept:
            blocks[name] = kept
    matrix = np.column_stack(columns) if columns else np.empty((len(factors), 0))
    used = sorted(i for block in blocks.values() for i in block)
    remap = {old: new for new, old in enumerate(used)}
    return matrix[:, used], {name: [remap[i] for i in block] for name, block in blocks.items()}


def _stratified(in_group: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices: up to half of `size` from each side (all of a side that has fewer)."""
    group, reference = np.flatnonzero(in_group), np.flatnonzero(~in_group)
    from_group = min(len(group), max(size // 2, size - len(reference)))
    from_reference = min(len(reference), size - from_group)
    picked = [rng.choice(group, from_group, replace=False), rng.choice(reference, from_reference, replace=False)]
    return np.sort(np.concatenate(picked))


def _group_effect(target: np.ndarray, in_group: np.ndarray, design: np.ndarray,
                  scale: Scale) -> tuple[float | None, float | None]:
    """The group indicator's coefficient and its robust standard error."""
    x = np.column_stack([np.ones(len(target)), in_group.astype(float), design])
    n, k = x.shape
    if n <= k + 1:
        return None, None
    if scale == "log":
        beta, *_ = np.linalg.lstsq(x, target, rcond=None)
        weights = np.ones(n)
        residual = target - x @ beta
    else:
        beta, weights, residual = _quasi_poisson(x, target)
        if beta is None:
            return None, None
    bread = np.linalg.pinv(x.T @ (x * weights[:, None]))
    meat = x.T @ (x * (residual ** 2)[:, None])
    covariance = bread @ meat @ bread * n / (n - k)
    variance = covariance[1, 1]
    if not np.isfinite(beta[1]) or not variance > 0:
        return None, None
    return float(beta[1]), float(math.sqrt(variance))


def _quasi_poisson(x: np.ndarray, y: np.ndarray, iterations: int = 50) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """IRLS for log E[y] = x b (y >= 0); returns b, the working weights (the means) and y - mean."""
    if y.mean() <= 0 or (y < 0).any():
        return None, np.ones(len(y)), y
    beta = np.zeros(x.shape[1])
    beta[0] = math.log(y.mean())
    for _ in range(iterations):
        mean = np.exp(np.clip(x @ beta, -30, 30))
        working = x @ beta + (y - mean) / mean
        weighted = x * mean[:, None]
        step = np.linalg.lstsq(weighted.T @ x, weighted.T @ working, rcond=None)[0]
        if np.max(np.abs(step - beta)) < 1e-8:
            beta = step
            break
        beta = step
    mean = np.exp(np.clip(x @ beta, -30, 30))
    return beta, mean, y - mean


def _shap_shares(target: np.ndarray, in_group: np.ndarray, design: np.ndarray, blocks: dict[str, list[int]],
                 attribute: str, max_iter: int, seed: int, explained: np.ndarray) -> list[Factor]:
    """The model is fitted on the whole sample; SHAP values (the dearer part, linear in rows)
    are computed on the stratified rows `explained`: group means of SHAP values need far fewer
    rows than fitting does."""
    import shap
    from sklearn.ensemble import HistGradientBoostingRegressor

    features = np.column_stack([in_group.astype(float), design])
    # One thread: on a sample this size OpenMP's start-up and contention cost more than they
    # save (measured ~10x slower with threads on a busy two-core host), and an audit shares the
    # machine with the gateway.
    with threadpool_limits(1):
        model = HistGradientBoostingRegressor(max_iter=max_iter, random_state=seed).fit(features, target)
        values = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent").shap_values(features[explained])
    side = in_group[explained]
    difference = values[side].mean(axis=0) - values[~side].mean(axis=0)
    parts = {attribute: float(difference[0])}
    for name, block in blocks.items():
        parts[name] = float(difference[[1 + i for i in block]].sum())
    total = sum(parts.values())
    if not math.isfinite(total) or abs(total) < 1e-12:
        return []
    shares = [Factor(factor=name, share=round(part / total, 4)) for name, part in parts.items()]
    return sorted(shares, key=lambda f: -abs(f.share))
