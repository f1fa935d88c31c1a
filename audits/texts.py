"""The report's words in English and Simplified Chinese.

    text(lang, key)           a heading, label or sentence of the page
    metric_label(lang, name)  ttft_p50 → "Time to first byte p50" / "首字节时间 p50"
    translate(lang, text)     a reason the audit wrote (in English) in `lang`, or None

The audit writes its reasons in English with the numbers in them (audits/status.py,
audits/ll144.py, audits/run.py); the Chinese page rewrites each known sentence with the same
numbers (PATTERNS). A sentence nobody taught it stays English and is marked as such by the page;
tests/audits/test_render.py runs every reason audits/status.py can write through it.
"""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
LANG_ERROR = "lang must be one of: en, zh"

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Bias audit report", "zh": "偏差审计报告"},
    "subtitle": {"en": "Response speed and outcomes across customer groups",
                 "zh": "各客户群体的响应速度与结果"},
    "window": {"en": "Window", "zh": "审计时间窗"},
    "open": {"en": "open", "zh": "不限"},
    "generated": {"en": "Generated", "zh": "生成时间"},
    "schema": {"en": "Report schema", "zh": "报告结构版本"},
    "methodology": {"en": "Methodology", "zh": "方法说明"},
    "contents": {"en": "Contents", "zh": "目录"},
    "summary": {"en": "Summary", "zh": "概要"},
    "records": {"en": "Records audited", "zh": "审计记录数"},
    "sources": {"en": "Data sources", "zh": "数据来源"},
    "source.gateway": {"en": "proxied through GovGate", "zh": "经 GovGate 代理"},
    "source.imported": {"en": "imported", "zh": "导入"},
    "left_out": {"en": "Read, not audited", "zh": "已读取但未审计"},
    "left_out.benchmark": {"en": "benchmark runs", "zh": "基准测试运行"},
    "left_out.kind": {"en": "request kind", "zh": "请求类型"},
    "none": {"en": "none", "zh": "无"},
    "attributes": {"en": "Attributes audited", "zh": "审计的属性"},
    "status_counts": {"en": "Findings by status", "zh": "各状态的发现数"},
    "policy_versions": {"en": "Policy versions active in the window", "zh": "时间窗内生效的策略版本"},
    "bundle": {"en": "Bundle (content hash)", "zh": "策略包（内容哈希）"},
    "first_seen": {"en": "First decision", "zh": "首次决策"},
    "last_seen": {"en": "Last decision", "zh": "末次决策"},
    "activated": {"en": "Activated", "zh": "激活时间"},
    "no_activation": {"en": "no activation recorded", "zh": "无激活记录"},
    "no_bundle": {"en": "no bundle recorded", "zh": "无策略包记录"},
    "thresholds": {"en": "Thresholds", "zh": "阈值"},
    "skipped": {"en": "Not computed", "zh": "未计算的项目"},
    "item": {"en": "Item", "zh": "项目"},
    "reason": {"en": "Reason", "zh": "原因"},
    "findings": {"en": "Findings", "zh": "发现"},
    "findings_note": {"en": "Ratio = group ÷ reference, with its {confidence} interval; q is the Benjamini–Hochberg "
                               "adjusted p over every test of the audit. Sorted confirmed → warning → insufficient "
                               "data → excluded → ok.",
                      "zh": "比值 = 群体 ÷ 参照组，附 {confidence} 置信区间；q 为对本次审计全部检验做 "
                            "Benjamini–Hochberg 校正后的 p 值。排序：已确认 → 警告 → 数据不足 → 已排除 → 正常。"},
    "no_findings": {"en": "No comparisons: the window holds no audited records with group attributes.",
                    "zh": "无比较：时间窗内没有带群体属性的审计记录。"},
    "attribute": {"en": "Attribute", "zh": "属性"},
    "group": {"en": "Group", "zh": "群体"},
    "reference": {"en": "Reference", "zh": "参照组"},
    "metric": {"en": "Metric", "zh": "指标"},
    "value": {"en": "Value", "zh": "值"},
    "reference_value": {"en": "Ref. value", "zh": "参照值"},
    "ratio_ci": {"en": "Ratio [CI]", "zh": "比值 [区间]"},
    "n": {"en": "n (ref.)", "zh": "n（参照）"},
    "min_n": {"en": "min n", "zh": "最小 n"},
    "status": {"en": "Status and reason", "zh": "状态与原因"},
    "adjusted": {"en": "Adjusted [CI]", "zh": "调整后比值"},
    "factors": {"en": "Factors (share of gap)", "zh": "因素（占差距比例）"},
    "minor_factors": {"en": "+{n} under 0.5%", "zh": "另 {n} 项低于 0.5%"},
    "unexplained": {"en": "unexplained ({attribute})", "zh": "未解释（{attribute}）"},
    "no_reference": {"en": "no eligible reference", "zh": "无合格参照组"},
    "unbounded": {"en": "unbounded", "zh": "无界"},
    "versus": {"en": "vs {reference}", "zh": "对比 {reference}"},
    "not_estimable": {"en": "no ratio", "zh": "无比值"},
    "english_only": {"en": "", "zh": "（英文原文）"},
    "forest": {"en": "Ratios and intervals", "zh": "比值与置信区间"},
    "forest_note": {"en": "One row per finding, log scale; solid line: no difference (1); dashed lines: the "
                             "warning and confirm thresholds. Colour and marker both give the status.",
                    "zh": "每个发现一行，对数刻度；实线：无差异（1）；虚线：警告与确认阈值。状态同时以颜色和标记形状表示。"},
    "forest_axis": {"en": "ratio to the reference group (log scale)", "zh": "相对参照组的比值（对数刻度）"},
    "forest_description": {"en": "Forest plot of {n} findings for {attribute}",
                           "zh": "{attribute} 的 {n} 个发现的森林图"},
    "legend": {"en": "Legend", "zh": "图例"},
    "ecdf": {"en": "Latency distributions", "zh": "延迟分布"},
    "ecdf_note": {"en": "Empirical cumulative distribution of each group's latency over completed requests "
                           "(the share of requests answered within x ms; log scale). The p50 / p90 / p95 metrics "
                           "are where each curve crosses 0.5 / 0.9 / 0.95.",
                  "zh": "各群体已完成请求延迟的经验累积分布（在 x 毫秒内得到回应的请求比例；对数刻度）。"
                        "p50 / p90 / p95 指标即各曲线与 0.5 / 0.9 / 0.95 的交点。"},
    "ecdf_axis": {"en": "milliseconds (log scale)", "zh": "毫秒（对数刻度）"},
    "no_ecdf": {"en": "No latency distributions in this report (no completed request, or a report written before "
                         "they were recorded).",
                "zh": "本报告无延迟分布（没有已完成的请求，或报告生成于记录分布之前）。"},
    "latency.ttft": {"en": "time to first byte", "zh": "首字节时间"},
    "latency.upstream_ttft": {"en": "upstream time to first token", "zh": "上游首个令牌时间"},
    "latency.latency": {"en": "total latency", "zh": "总延迟"},
    "trend": {"en": "Trend against the previous audit", "zh": "与上次审计的趋势对比"},
    "no_previous": {"en": "No previous audit.", "zh": "无上次审计。"},
    "previous_window": {"en": "Previous audit: window {window}, generated {generated}.",
                        "zh": "上次审计：时间窗 {window}，生成于 {generated}。"},
    "previous": {"en": "Previous", "zh": "上次"},
    "current": {"en": "Current", "zh": "本次"},
    "change": {"en": "Change", "zh": "变化"},
    "new": {"en": "new comparison", "zh": "新增比较"},
    "gone": {"en": "not compared this time", "zh": "本次未比较"},
    "worse": {"en": "status worse", "zh": "状态变差"},
    "better": {"en": "status better", "zh": "状态改善"},
    "same": {"en": "same status", "zh": "状态不变"},
    "reference_changed": {"en": "reference was {reference}", "zh": "上次参照组为 {reference}"},
    "ll144": {"en": "NYC Local Law 144 tables", "zh": "纽约市第 144 号地方法（LL144）表格"},
    "ll144_note": {"en": "Per category: records, rate and impact ratio (rate ÷ the highest rate among rated "
                            "categories). Unknown and categories under {min_share} of the data are counted and "
                            "shown, not rated.",
                   "zh": "每个类别：记录数、比率与影响比（比率 ÷ 已评级类别中的最高比率）。未知类别以及占数据不足 "
                         "{min_share} 的类别计数并列出，但不评级。"},
    "category": {"en": "Category", "zh": "类别"},
    "count": {"en": "Records", "zh": "记录数"},
    "rated_over": {"en": "Rated over", "zh": "计算基数"},
    "rate": {"en": "Rate", "zh": "比率"},
    "impact_ratio": {"en": "Impact ratio", "zh": "影响比"},
    "excluded_reason": {"en": "Excluded: reason", "zh": "排除原因"},
    "unknown_count": {"en": "Unknown (attribute not given)", "zh": "未知（未提供该属性）"},
    "highest": {"en": "highest rate", "zh": "最高比率"},
    "no_ll144": {"en": "No favourable rate had data in this window.", "zh": "本时间窗内没有可用数据的有利比率指标。"},
    "regulatory": {"en": "What this report evidences", "zh": "本报告可作为哪些合规要求的证据"},
    "regulatory_note": {"en": "Which part of this report supports which requirement. The report is evidence for "
                                 "these obligations, not a legal opinion; the obligations marked outside the report "
                                 "are the organisation's to meet.",
                        "zh": "本报告各部分分别支持哪项要求。本报告是履行这些义务的证据，而非法律意见；标注为报告之外的义务由组织自行履行。"},
    "requirement": {"en": "Requirement", "zh": "要求"},
    "evidence": {"en": "Evidence in this report", "zh": "本报告中的证据"},
    "outside": {"en": "Outside the report", "zh": "报告之外"},
    "footer": {"en": "GovGate bias audit · generated from the hash-chained decision ledger; holds counts and "
                     "aggregates only, no personal data.",
               "zh": "GovGate 偏差审计 · 基于哈希链决策账本生成；仅含计数与汇总，不含个人数据。"},
    "colon": {"en": ": ", "zh": "："},
}

STATUS = {
    "confirmed": {"en": "confirmed", "zh": "已确认"},
    "warning": {"en": "warning", "zh": "警告"},
    "insufficient_data": {"en": "insufficient data", "zh": "数据不足"},
    "excluded": {"en": "excluded", "zh": "已排除"},
    "ok": {"en": "ok", "zh": "正常"},
}
THRESHOLDS = {
    "impact_ratio_confirm": {"en": "impact ratio: confirm below", "zh": "影响比：低于此值确认"},
    "impact_ratio_warning": {"en": "impact ratio: warn below", "zh": "影响比：低于此值警告"},
    "latency_ratio_confirm": {"en": "latency ratio: confirm above", "zh": "延迟比：高于此值确认"},
    "latency_ratio_warning": {"en": "latency ratio: warn above", "zh": "延迟比：高于此值警告"},
    "adverse_rate_ratio_confirm": {"en": "adverse rate ratio: confirm above", "zh": "不利比率之比：高于此值确认"},
    "adverse_rate_ratio_warning": {"en": "adverse rate ratio: warn above", "zh": "不利比率之比：高于此值警告"},
    "alpha": {"en": "significance level α (for q)", "zh": "显著性水平 α（用于 q）"},
    "confidence": {"en": "interval confidence", "zh": "区间置信水平"},
    "power": {"en": "power for the minimum sample", "zh": "最小样本量的检验功效"},
    "min_share": {"en": "smallest category flagged (share of records)", "zh": "可被标记的最小类别（占记录比例）"},
}
_METRIC_BASE = {
    "ttft": {"en": "Time to first byte", "zh": "首字节时间"},
    "upstream_ttft": {"en": "Upstream time to first token", "zh": "上游首个令牌时间"},
    "latency": {"en": "Total latency", "zh": "总延迟"},
}
_METRICS = {
    "ttft_faster_share": {"en": "Faster than median (first byte)", "zh": "首字节快于中位数的比例"},
    "latency_faster_share": {"en": "Faster than median (total)", "zh": "总延迟快于中位数的比例"},
    "blocked_rate": {"en": "Blocked by policy", "zh": "被策略拦截率"},
    "refused_rate": {"en": "Not completed", "zh": "未完成率"},
    "redacted_rate": {"en": "Personal data redacted", "zh": "个人信息处理率"},
    "resolved_rate": {"en": "Resolved", "zh": "解决率"},
    "escalated_rate": {"en": "Escalated", "zh": "升级（转人工）率"},
    "refund_granted_rate": {"en": "Refund granted", "zh": "退款批准率"},
    "refund_denied_rate": {"en": "Refund denied", "zh": "退款拒绝率"},
    "abandoned_rate": {"en": "Abandoned", "zh": "放弃率"},
    "csat_mean": {"en": "CSAT, mean", "zh": "客户满意度均值"},
}
FACTORS = {
    "message_chars": {"en": "message length", "zh": "消息长度"},
    "language": {"en": "language", "zh": "语言"},
    "channel": {"en": "channel", "zh": "渠道"},
    "model": {"en": "model", "zh": "模型"},
    "turns": {"en": "turns", "zh": "对话轮数"},
}


def text(lang: Lang, key: str, **values: object) -> str:
    return TEXT[key][lang].format(**values) if values else TEXT[key][lang]


def metric_label(lang: Lang, name: str) -> str:
    if name in _METRICS:
        return _METRICS[name][lang]
    base, _, quantile = name.rpartition("_")
    if base in _METRIC_BASE:
        return f"{_METRIC_BASE[base][lang]} {quantile}"
    return name


def factor_label(lang: Lang, factor: str, attribute: str) -> str:
    if factor == attribute:
        return text(lang, "unexplained", attribute=attribute)
    return FACTORS.get(factor, {}).get(lang, factor)


# --- the audit's English sentences, in Chinese ------------------------------------------------

_N = r"[-+]?(?:[0-9][0-9.,e+-]*%?|inf|nan)"
_SIDE = {"above": "高于", "below": "低于"}
_BOUND = {"unbounded": "无界"}
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), zh) for p, zh in (
    (rf"the category is (?P<share>{_N}) of the audited records \(under (?P<min>{_N})\): counted and shown, "
     r"not flagged", "该类别占审计记录的 {share}（低于 {min}）：计数并列出，不予标记"),
    (r"no events or no spread in either group: the comparison cannot be powered",
     "任一组没有事件或没有离散：无法达到所需检验功效，不作比较"),
    (rf"(?P<m>{_N}) rows on the smaller side; (?P<min_n>{_N}) per group are needed for (?P<power>{_N}) power at "
     r"the confirm threshold", "较小一侧只有 {m} 行；在确认阈值处达到 {power} 的检验功效，每组需要 {min_n} 行"),
    (r"the ratio is undefined \(the reference value is zero\)", "比值无定义（参照值为零）"),
    (rf"q (?P<q>{_N}) < (?P<alpha>{_N}) and the whole interval lies (?P<side>above|below) (?P<t>{_N})",
     "q {q} < {alpha}，且整个置信区间{side} {t}"),
    (rf"ratio (?P<r>{_N}) is (?P<side>above|below) (?P<t>{_N}) but the evidence falls short \(q (?P<q>{_N}), "
     rf"interval (?P<lo>{_N}|unbounded)–(?P<hi>{_N}|unbounded)\)",
     "比值 {r} {side} {t}，但证据不足（q {q}，区间 {lo}–{hi}）"),
    (rf"ratio (?P<r>{_N}) is (?P<side>above|below) (?P<t>{_N}) with q (?P<q>{_N}) < (?P<alpha>{_N})",
     "比值 {r} {side} {t}，且 q {q} < {alpha}"),
    (rf"ratio (?P<r>{_N}) is within the thresholds", "比值 {r} 在阈值范围内"),
    (rf"ratio (?P<r>{_N}) is (?P<side>above|below) (?P<t>{_N}) but not significant \(q (?P<q>{_N})\)",
     "比值 {r} {side} {t}，但不显著（q {q}）"),
    (r"attribute not given: counted, not rated", "未提供该属性：计数，不评级"),
    (rf"(?P<share>{_N}) of the data \(under (?P<min>{_N})\): counted, not rated",
     "占数据的 {share}（低于 {min}）：计数，不评级"),
    (r"no rows to rate", "没有可评级的行"),
    (r"no audited record carries this attribute", "没有审计记录带有该属性"),
    (r"no audited record has this metric \(e\.g\. no outcome reported, no completed request\)",
     "没有审计记录具备该指标（例如未报告结果、没有已完成的请求）"),
    (r"no audited record had this event", "没有审计记录发生该事件"),
))


def translate(lang: Lang, sentence: str) -> str | None:
    """The audit's English `sentence` in `lang`; None when the sentence is not one it knows."""
    if lang == "en":
        return sentence
    for pattern, template in PATTERNS:
        match = pattern.fullmatch(sentence)
        if match:
            found = {k: _SIDE.get(v, _BOUND.get(v, v)) for k, v in match.groupdict().items()}
            return template.format(**found)
    return None
