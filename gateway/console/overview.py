"""The overview page's figures, from the newest records of a window (a pure function).

Counting in Python over typed records keeps one definition of each figure (the same fields
the explanation reads); the read is bounded (`limit`) so the page answers quickly on any
ledger, and says when it saw only the newest part of the window.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel

from gateway.decision import DecisionRecord

TOP_REASONS = 10


class Bar(BaseModel):
    label: str
    count: int
    share: float  # of the largest bar in its chart, 0..1 (the bar's width)


class Latency(BaseModel):
    n: int
    p50: float | None
    p95: float | None
    ttfb_p50: float | None
    ttfb_p95: float | None


class Overview(BaseModel):
    records: int
    truncated: bool  # the window held more than the page read
    requests: int  # proxied and imported requests (aggregate records count their requests)
    allowed: int
    denied: int
    refused_before_policy: int
    errors: int  # 5xx
    deny_reasons: list[Bar]
    findings: list[Bar]  # "ENTITY · language · action"
    routes_by_region: list[Bar]
    outside_permitted: int  # must be zero: a route the policy did not permit
    outside_customer_region: int  # permitted cross-border routes (e.g. a US customer on an EU model)
    latency: Latency


def _bars(counter: Counter[str], top: int | None = None) -> list[Bar]:
    items = counter.most_common(top)
    largest = max((c for _, c in items), default=0) or 1
    return [Bar(label=label, count=count, share=count / largest) for label, count in items]


def _quantile(values: list[float], q: float) -> float | None:
    return round(float(np.quantile(values, q)), 1) if values else None


def summarise(records: Iterable[DecisionRecord], *, limit: int) -> Overview:
    seen = requests = allowed = denied = refused = errors = outside_permitted = outside_region = 0
    reasons: Counter[str] = Counter()
    findings: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    totals: list[float] = []
    ttfbs: list[float] = []
    truncated = False
    for record in records:
        if seen == limit:
            truncated = True
            break
        seen += 1
        if record.benchmark:
            continue
        requests += record.aggregate.count if record.aggregate is not None else 1
        if record.allowed is True:
            allowed += 1
        elif record.allowed is False:
            denied += 1
            reasons.update(r.rule_id for r in record.reasons)
        else:
            refused += record.aggregate.count if record.aggregate is not None else 1
        if record.status_code >= 500:
            errors += 1
        findings.update(f"{f.entity_type} · {f.language} · {f.action}" for f in record.findings)
        region = record.route.region
        if region:
            regions[region] += 1
            result = record.policy.result
            if result is not None and region not in {r.region for r in result.routes}:
                outside_permitted += 1
            if record.customer_region and region != record.customer_region:
                outside_region += 1
        if record.kind == "chat" and record.status_code == 200:
            totals.append(record.timings.total)
            if record.timings.client_ttfb is not None:
                ttfbs.append(record.timings.client_ttfb)
    return Overview(
        records=seen, truncated=truncated, requests=requests, allowed=allowed, denied=denied,
        refused_before_policy=refused, errors=errors, deny_reasons=_bars(reasons, TOP_REASONS),
        findings=_bars(findings), routes_by_region=_bars(regions), outside_permitted=outside_permitted,
        outside_customer_region=outside_region,
        latency=Latency(n=len(totals), p50=_quantile(totals, 0.5), p95=_quantile(totals, 0.95),
                        ttfb_p50=_quantile(ttfbs, 0.5), ttfb_p95=_quantile(ttfbs, 0.95)))
