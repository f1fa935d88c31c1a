"""An AuditReport (and the one before it) → what the templates show, formatted and in order.

    report_view(report, previous, lang) -> dict

Numbers are formatted here, once, so the HTML and the PDF (the same page) and the console
show the same text. Caller text (attribute names, groups) stays plain strings: the templates
escape it, and the charts pass it through svg.visible and svg.element.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from audits import svg
from audits.metrics import BY_NAME, METRICS
from audits.regulatory import REQUIREMENTS
from audits.report import AuditReport, Finding, LatencyDistribution
from audits.texts import THRESHOLDS, Lang, factor_label, metric_label, text, translate
from audits.texts import STATUS as STATUS_TEXT

STATUS_ORDER = ("confirmed", "warning", "insufficient_data", "excluded", "ok")
_SEVERITY = {"ok": 0, "warning": 1, "confirmed": 2}  # comparable statuses; the other two are not a grade
_METRIC_ORDER = {m.name: i for i, m in enumerate(METRICS)}
_LATENCIES = ("ttft", "upstream_ttft", "latency")
FOREST_ROWS = 34  # rows (headings included) per forest plot: one chart fits a landscape A4 page
FONTS = {
    "en": "'Noto Sans', 'Helvetica Neue', Arial, 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', "
          "'Microsoft YaHei', 'DejaVu Sans', sans-serif",
    "zh": "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans', "
          "'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif",
}
# The charts' own font attribute (what WeasyPrint uses): short, as every family Pango cannot find
# costs time per text element; browsers take the page's family instead (report.css).
SVG_FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"


def finding_order(finding: Finding) -> tuple[int, str, int, str]:
    return (STATUS_ORDER.index(finding.status), finding.attribute, _METRIC_ORDER.get(finding.metric, 999),
            finding.group)


class _Format:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def time(self, value: datetime | None) -> str:
        if value is None:
            return text(self.lang, "open")
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    def window(self, report: AuditReport) -> str:
        return f"{self.time(report.since)} → {self.time(report.until)}"

    @staticmethod
    def ratio(value: float | None) -> str | None:
        return None if value is None else f"{value:.3f}"

    @staticmethod
    def interval(ratio: float | None, low: float | None, high: float | None) -> dict[str, str] | None:
        """{"ratio": "1.415", "ci": "[1.362, 1.464]"} (an unbounded side is ∞ or —); None without a ratio."""
        if ratio is None:
            return None
        ci = "" if low is None and high is None else (
            f"[{'—' if low is None else f'{low:.3f}'}, {'∞' if high is None else f'{high:.3f}'}]")
        return {"ratio": f"{ratio:.3f}", "ci": ci}

    def interval_text(self, ratio: float | None, low: float | None, high: float | None) -> str | None:
        found = self.interval(ratio, low, high)
        return None if found is None else f"{found['ratio']} {found['ci']}".strip()

    @staticmethod
    def probability(value: float | None) -> str | None:
        if value is None:
            return None
        return "0" if value == 0 else f"{value:.1e}" if value < 0.001 else f"{value:.3f}"

    @staticmethod
    def value(metric: str, value: float | None) -> str | None:
        if value is None:
            return None
        family = BY_NAME[metric].family if metric in BY_NAME else "score"
        if family == "latency":
            return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"
        if family == "rate":
            return f"{value:.1%}"
        return f"{value:.2f}"

    def reason(self, sentence: str) -> dict[str, Any]:
        said = translate(self.lang, sentence)
        return {"text": said if said is not None else sentence, "original": said is None and self.lang != "en"}

    def status(self, status: str) -> dict[str, Any]:
        return {"key": status, "label": STATUS_TEXT[status][self.lang], "icon": svg.status_glyph(status)}


def report_view(report: AuditReport, previous: AuditReport | None, lang: Lang) -> dict[str, Any]:
    f = _Format(lang)
    findings = sorted(report.findings, key=finding_order)
    counts = Counter(x.status for x in report.findings)
    return {
        "lang": lang,
        "t": lambda key, **values: text(lang, key, **values),
        "font": FONTS[lang],
        "window": f.window(report),
        "generated": f.time(report.generated_at),
        "report": report,
        "records": f"{report.records:,}",
        "sources": [{"label": text(lang, f"source.{k}") if k in ("gateway", "imported") else k, "count": f"{v:,}"}
                    for k, v in report.data_sources.items()],
        "left_out": [{"label": _left_out(lang, k), "count": f"{v:,}"} for k, v in report.left_out.items()],
        "status_counts": [{**f.status(s), "count": counts.get(s, 0)} for s in STATUS_ORDER],
        "policy_versions": [{"bundle": v.bundle_hash, "records": f"{v.records:,}", "first": f.time(v.first_seen),
                             "last": f.time(v.last_seen),
                             "activated": f.time(v.activated_at) if v.activated_at else None,
                             "source": v.activation_source} for v in report.policy_versions],
        "thresholds": [{"key": k, "label": THRESHOLDS.get(k, {}).get(lang, k), "value": _threshold(k, v)}
                       for k, v in report.thresholds.items()],
        "skipped": [{"item": _skipped_item(lang, s.item), "reason": f.reason(s.reason)} for s in report.skipped],
        "findings": [_finding_row(f, x) for x in findings],
        "confidence": f"{report.thresholds.get('confidence', 0.95):.0%}",
        "forests": _forests(f, report),
        "ecdfs": _ecdfs(lang, report.latency_distributions),
        "trend": _trend(f, findings, previous),
        "previous": None if previous is None else {"window": f.window(previous),
                                                    "generated": f.time(previous.generated_at)},
        "ll144": [_ll144(f, table, report.thresholds.get("impact_ratio_confirm", 0.8)) for table in report.ll144],
        "min_share": f"{report.thresholds.get('min_share', 0.02):.0%}",
        "regulatory": [r.localised(lang) for r in REQUIREMENTS],
    }


def _left_out(lang: Lang, key: str) -> str:
    if key == "benchmark":
        return text(lang, "left_out.benchmark")
    kind, _, name = key.partition(":")
    return f"{text(lang, 'left_out.kind')}: {name}" if kind == "kind" else key


def _threshold(key: str, value: float) -> str:
    return f"{value:.0%}" if key in ("confidence", "power", "min_share") else f"{value:g}"


def _skipped_item(lang: Lang, item: str) -> str:
    kind, sep, name = item.partition(":")
    if sep and kind == "attribute":
        return f"{text(lang, 'attribute')}: {name}"
    return f"{metric_label(lang, item)} ({item})" if item in BY_NAME else item


def _finding_row(f: _Format, x: Finding) -> dict[str, Any]:
    return {
        "attribute": x.attribute, "group": x.group, "reference": x.reference, "metric": x.metric,
        "metric_label": metric_label(f.lang, x.metric), "value": f.value(x.metric, x.value),
        "reference_value": f.value(x.metric, x.reference_value), "ratio": f.interval(x.ratio, x.ci_low, x.ci_high),
        "p": f.probability(x.p), "q": f.probability(x.q), "n": f"{x.n:,}", "reference_n": f"{x.reference_n:,}",
        "min_n": None if x.min_n is None else f"{x.min_n:,}", "test": x.test, "status": f.status(x.status),
        "reason": f.reason(x.reason),
        "adjusted": f.interval(x.adjusted_ratio, x.adjusted_ci_low, x.adjusted_ci_high),
        # Factors that round to 0 % say nothing on the page (the JSON keeps them): counted instead.
        "factors": [{"label": factor_label(f.lang, factor.factor, x.attribute), "share": f"{factor.share:.0%}"}
                    for factor in x.factors if not _negligible(factor.share)],
        "minor_factors": sum(_negligible(factor.share) for factor in x.factors),
    }


def _negligible(share: float) -> bool:
    return f"{share:.0%}" in ("0%", "-0%")


def _forests(f: _Format, report: AuditReport) -> list[dict[str, Any]]:
    """Per attribute, its findings under a heading per metric (and reference), in charts of at
    most FOREST_ROWS rows; a metric's block continues under a repeated heading when it must split."""
    thresholds = [(t, f"{t:g}") for t in sorted({value for key, value in report.thresholds.items()
                                                 if key.endswith(("_confirm", "_warning"))})]
    blocks: dict[str, dict[tuple[str, str | None], list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for x in sorted(report.findings, key=lambda x: (_METRIC_ORDER.get(x.metric, 999), x.metric, x.group)):
        blocks[x.attribute][(x.metric, x.reference)].append(x)
    forests = []
    for attribute, by_metric in blocks.items():
        charts: list[list[svg.ForestRow | svg.ForestHeading]] = [[]]
        for (metric, reference), found in by_metric.items():
            heading, headed = _forest_heading(f, metric, reference), False
            for x in found:
                if len(charts[-1]) + (1 if headed else 2) > FOREST_ROWS:
                    charts.append([])
                    headed = False
                if not headed:
                    charts[-1].append(heading)
                    headed = True
                charts[-1].append(_forest_row(f, x))
        forests.append({"attribute": attribute, "n": sum(len(b) for b in by_metric.values()), "charts": [
            svg.forest_plot(rows, thresholds=thresholds, axis_label=text(f.lang, "forest_axis"), font=SVG_FONT,
                            description=text(f.lang, "forest_description", attribute=attribute,
                                             n=sum(isinstance(r, svg.ForestRow) for r in rows)))
            for rows in charts if rows]})
    return forests


def _forest_heading(f: _Format, metric: str, reference: str | None) -> svg.ForestHeading:
    against = (text(f.lang, "no_reference") if reference is None
               else text(f.lang, "versus", reference=svg.visible(reference)))
    return svg.ForestHeading(label=f"{metric_label(f.lang, metric)} · {against}")


def _forest_row(f: _Format, x: Finding) -> svg.ForestRow:
    reference = x.reference if x.reference is not None else text(f.lang, "no_reference")
    note = f.interval_text(x.ratio, x.ci_low, x.ci_high) or text(f.lang, "not_estimable")
    status = STATUS_TEXT[x.status][f.lang]
    title = (f"{svg.visible(x.attribute)} = {svg.visible(x.group)} · "
             f"{text(f.lang, 'versus', reference=svg.visible(reference))}"
             f" · {x.metric} · {status}: {f.reason(x.reason)['text']}")
    return svg.ForestRow(label=x.group, ratio=x.ratio, low=x.ci_low, high=x.ci_high, status=x.status, note=note,
                         title=title)


def _ecdfs(lang: Lang, distributions: list[LatencyDistribution]) -> list[Markup]:
    grouped: dict[tuple[str, str], list[LatencyDistribution]] = defaultdict(list)
    for d in distributions:
        grouped[(d.attribute, d.latency)].append(d)
    order = {name: i for i, name in enumerate(_LATENCIES)}
    charts = []
    for (attribute, latency), found in sorted(grouped.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9))):
        curves = [svg.Curve(label=d.group, n=d.n, quantiles=d.quantiles)
                  for d in sorted(found, key=lambda d: (d.group == "unknown", d.group))]
        name = text(lang, f"latency.{latency}") if latency in order else latency
        charts.append(svg.ecdf_chart(curves, title=f"{svg.visible(attribute, 40)} — {name}",
                                     x_label=text(lang, "ecdf_axis"), font=SVG_FONT, n_label="n ="))
    return charts


def _trend(f: _Format, findings: list[Finding], previous: AuditReport | None) -> list[dict[str, Any]] | None:
    if previous is None:
        return None
    before = {(x.attribute, x.group, x.metric): x for x in previous.findings}
    rows = []
    for x in findings:
        old = before.pop((x.attribute, x.group, x.metric), None)
        rows.append(_trend_row(f, x, old, x))
    for old in sorted(before.values(), key=finding_order):
        rows.append(_trend_row(f, old, old, None))
    return rows


def _trend_row(f: _Format, key: Finding, old: Finding | None, new: Finding | None) -> dict[str, Any]:
    if old is None:
        change = text(f.lang, "new")
    elif new is None:
        change = text(f.lang, "gone")
    elif old.status in _SEVERITY and new.status in _SEVERITY and old.status != new.status:
        change = text(f.lang, "worse" if _SEVERITY[new.status] > _SEVERITY[old.status] else "better")
    else:
        change = text(f.lang, "same") if old.status == new.status else "→"
    delta = None
    if old is not None and new is not None and old.ratio is not None and new.ratio is not None:
        delta = f"{new.ratio - old.ratio:+.3f}"
    reference_note = None
    if old is not None and new is not None and old.reference != new.reference:
        reference_note = text(f.lang, "reference_changed", reference=old.reference or "—")
    return {"attribute": key.attribute, "group": key.group, "metric_label": metric_label(f.lang, key.metric),
            "metric": key.metric,
            "previous": None if old is None else {"ratio": f.interval(old.ratio, old.ci_low, old.ci_high),
                                                  "status": f.status(old.status)},
            "current": None if new is None else {"ratio": f.interval(new.ratio, new.ci_low, new.ci_high),
                                                 "status": f.status(new.status)},
            "change": change, "delta": delta, "reference_note": reference_note,
            "worse": change == text(f.lang, "worse")}


def _ll144(f: _Format, table: Any, confirm: float) -> dict[str, Any]:
    return {"attribute": table.attribute, "metric": table.metric, "metric_label": metric_label(f.lang, table.metric),
            "reference": table.reference, "unknown_count": f"{table.unknown_count:,}",
            "rows": [{"category": r.category, "count": f"{r.count:,}", "n": f"{r.n:,}",
                      "rate": f.value(table.metric, r.rate), "impact": f.ratio(r.impact_ratio),
                      "below": r.impact_ratio is not None and r.impact_ratio < confirm,
                      "highest": r.category == table.reference and not r.excluded,
                      "reason": f.reason(r.reason) if r.reason else None} for r in table.rows]}
