"""The plain-language account of one decision, in English or Chinese.

Rendered from a `DecisionExplanation` alone (never from the record or a request), so the
text can say nothing the structured part does not. Each language is one `Phrases` table;
the renderer is the same for both. Rule reasons are quoted as the policy wrote them (the
policy's own language), with their rule ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from explainers.models import DecisionExplanation, Lang, PiiFindingPart, RuleReason


@dataclass(frozen=True)
class Phrases:
    heading: str
    source: dict[str, str]
    who: str
    who_unknown: str
    purpose: str
    no_purpose: str
    region: str
    conversation: str
    kinds: dict[str, str]
    allowed: str
    denied: str
    undecided: str
    ended: dict[str, str]
    completed: str
    stopped: str
    stopped_later: str
    status: str
    denied_by: str
    fired: str
    rule: str
    policy: str
    no_policy: str
    activated: str
    activation_unknown: str
    benchmark: str
    shadow: str
    no_pii: str
    pii_count: str
    finding: str
    context: str
    checksum: dict[bool, str]
    actions: dict[str, str]
    by_rule: str
    directions: dict[str, str]
    permitted: str
    no_permitted: str
    residency: str
    basis: str
    answered_by: str
    not_forwarded: str
    attempt: str
    attempt_outcomes: dict[str, str]
    failovers: str
    timings: str
    first_byte: str
    features: str
    feature_names: dict[str, str]
    no_features: str
    outcomes: str
    no_outcomes: str
    outcome: str
    via: dict[str, str]
    aggregate: str
    missing: str
    parts: dict[str, str]
    streamed: str = " (streamed)"
    separator: str = "; "
    stop: str = "."
    listing: str = ", "
    colon: str = ": "
    parens: tuple[str, str] = (" (", ")")


_EN = Phrases(
    heading="Decision {id}, made {at}{source}.",
    source={"gateway": "", "imported": " (imported from another decision log)"},
    who="Caller {caller} asked for {kind}{model}{streamed}, for the purpose {purpose}",
    who_unknown="The caller is unknown (the request was refused before it was authenticated)",
    purpose="{purpose}", no_purpose="(none given)",
    region="customer region {region}", conversation="conversation {conversation}",
    kinds={"chat": "a chat completion", "embeddings": "embeddings", "models": "the model list",
           "pii": "PII analysis", "aggregate": "(aggregate of anonymous refusals)"},
    allowed="The policy allowed the request", denied="The policy denied the request",
    undecided="The request stopped before the policy decided",
    ended={"admission": "at admission (authentication, customer headers, rate limit)",
           "request": "while the request was read", "detection": "during PII detection",
           "policy": "at the policy", "obligations": "while the policy's PII actions were applied",
           "forwarding": "while it was forwarded upstream", "answer": "while the answer was checked"},
    completed=", and the caller got its answer", stopped=", {where}", stopped_later="; the request then stopped {where}",
    status="status {status}{error}", denied_by="Denied by", fired="Rules that fired",
    rule="{rule_id}: \u201c{reason}\u201d",
    policy="Policy version (bundle hash) {bundle}, engine {engine}",
    no_policy="No policy ran for this request",
    activated="activated {at} ({source})",
    activation_unknown="its activation time is not recorded",
    benchmark="Written by a benchmark mode ({mode}): stages were switched off; not replayed, not audited",
    shadow="A candidate policy {bundle} ran beside it and would have decided {count} thing(s) differently",
    no_pii="No PII was found", pii_count="PII findings: {count}",
    finding=("{n}. {entity} in the {direction} at {location} [{start}-{end}], language {language}: "
             "found by {recognizer} ({source}{pattern}) with score {score} (base {base}){context}{checksum}; "
             "{action}{rule}"),
    context=", raised by {boost} by the context word \u201c{word}\u201d",
    checksum={True: "; checksum passed", False: "; checksum failed"},
    actions={"redact": "redacted", "mask": "masked", "hash": "replaced by a keyed hash",
             "pseudonymise": "pseudonymised", "allow": "left as it was", "block": "blocked the request",
             "refuse": "refused the request (PII in an identifier)",
             "reported": "reported to the caller, nothing applied"},
    by_rule=" (rule {rule_id})", directions={"request": "request", "answer": "answer"},
    permitted="Permitted regions: {regions}; permitted deployments in order: {deployments}",
    no_permitted="No deployment was permitted",
    residency="Residency", basis="declared cross-border basis {basis}",
    answered_by="Answered by {deployment} ({provider}, region {region}, model {model})",
    not_forwarded="The request was not answered by any deployment",
    attempt="attempt {n}: {deployment} (region {region}) {outcome}{status}, {ms} ms",
    attempt_outcomes={"ok": "answered", "timeout": "timed out", "unavailable": "was unavailable",
                      "rejected": "rejected the call", "malformed": "sent a malformed answer"},
    failovers="{count} failover(s)",
    timings="Timings (ms): total {total}, PII detection {pii}, policy {policy}, upstream {upstream}, "
            "gateway overhead {overhead}",
    first_byte=" (first byte after {ttft})",
    features="Features", no_features="No features recorded",
    feature_names={"language": "language", "channel": "channel", "message_chars": "characters in the last user message",
                   "prompt_chars": "characters given to the model", "turns": "user turns",
                   "answer_chars": "characters in the answer"},
    outcomes="Outcomes reported later", no_outcomes="No outcome has been reported",
    outcome="{outcome}{csat}, {when}, reported by {by} on the {via}",
    via={"decision": "decision", "conversation": "conversation"},
    aggregate="This record counts {count} anonymous refusals from one client between {first} and {last}",
    missing="The imported record does not carry: {parts}",
    parts={"policy": "the policy", "findings": "PII findings", "route": "the route", "timings": "timings",
           "features": "features"},
)

_ZH = Phrases(
    heading="决策 {id}，时间 {at}{source}。",
    source={"gateway": "", "imported": "（从其他决策日志导入）"},
    who="调用方 {caller} 请求{kind}{model}{streamed}，用途：{purpose}",
    who_unknown="调用方未知（请求在身份验证之前被拒绝）",
    purpose="{purpose}", no_purpose="（未提供）",
    region="客户所在区域 {region}", conversation="会话 {conversation}",
    kinds={"chat": "对话补全", "embeddings": "向量嵌入", "models": "模型列表", "pii": "个人信息分析",
           "aggregate": "（匿名拒绝的汇总记录）"},
    allowed="策略允许了该请求", denied="策略拒绝了该请求", undecided="请求在策略作出决定之前已终止",
    ended={"admission": "准入阶段（身份验证、客户请求头、限流）", "request": "读取请求阶段",
           "detection": "个人信息检测阶段", "policy": "策略阶段", "obligations": "执行策略的个人信息处理阶段",
           "forwarding": "转发至上游阶段", "answer": "检查回答阶段"},
    completed="，调用方已收到回答", stopped="，终止于{where}", stopped_later="；随后请求终止于{where}",
    status="状态码 {status}{error}", denied_by="拒绝依据", fired="触发的规则",
    rule="{rule_id}：“{reason}”",
    policy="策略版本（策略包哈希）{bundle}，引擎 {engine}",
    no_policy="该请求未经过策略评估",
    activated="启用于 {at}（{source}）", activation_unknown="未记录其启用时间",
    benchmark="由基准测试模式（{mode}）写入：部分阶段已关闭；不参与重放和审计",
    shadow="候选策略 {bundle} 同时运行，共有 {count} 处决定会不同",
    no_pii="未发现个人信息", pii_count="个人信息发现：{count} 项",
    finding=("{n}. {direction}中 {location} [{start}-{end}] 处的 {entity}，语言 {language}："
             "由 {recognizer}（{source}{pattern}）识别，得分 {score}（初始 {base}）{context}{checksum}；"
             "处理：{action}{rule}"),
    context="，上下文词“{word}”使得分提高 {boost}",
    checksum={True: "；校验通过", False: "；校验未通过"},
    actions={"redact": "删除", "mask": "掩码", "hash": "替换为带密钥的哈希", "pseudonymise": "假名化",
             "allow": "保持原样", "block": "拦截请求", "refuse": "拒绝请求（标识符中含个人信息）",
             "reported": "仅报告给调用方，未做处理"},
    by_rule="（规则 {rule_id}）", directions={"request": "请求", "answer": "回答"},
    permitted="允许的区域：{regions}；按顺序允许的部署：{deployments}",
    no_permitted="没有允许的部署",
    residency="数据驻留", basis="声明的跨境传输依据 {basis}",
    answered_by="由 {deployment} 回答（{provider}，区域 {region}，模型 {model}）",
    not_forwarded="没有部署回答该请求",
    attempt="第 {n} 次尝试：{deployment}（区域 {region}）{outcome}{status}，{ms} 毫秒",
    attempt_outcomes={"ok": "成功回答", "timeout": "超时", "unavailable": "不可用", "rejected": "拒绝了调用",
                      "malformed": "返回了格式错误的回答"},
    failovers="故障转移 {count} 次",
    timings="耗时（毫秒）：总计 {total}，个人信息检测 {pii}，策略 {policy}，上游 {upstream}，网关开销 {overhead}",
    first_byte="（首字节 {ttft}）",
    features="请求特征", no_features="未记录请求特征",
    feature_names={"language": "语言", "channel": "渠道", "message_chars": "最后一条用户消息的字符数",
                   "prompt_chars": "提供给模型的字符数", "turns": "用户轮次", "answer_chars": "回答的字符数"},
    outcomes="事后报告的结果", no_outcomes="尚无结果报告",
    outcome="{outcome}{csat}，{when}，由 {by} 针对该{via}报告",
    via={"decision": "决策", "conversation": "会话"},
    aggregate="该记录汇总了来自同一客户端的 {count} 次匿名拒绝，时间从 {first} 到 {last}",
    missing="导入的记录未包含：{parts}",
    parts={"policy": "策略", "findings": "个人信息发现", "route": "路由", "timings": "耗时", "features": "请求特征"},
    streamed="（流式）", separator="；", stop="。", listing="、", colon="：", parens=("（", "）"),
)

PHRASES: dict[str, Phrases] = {"en": _EN, "zh": _ZH}


def render(explanation: DecisionExplanation, lang: Lang) -> str:
    """One paragraph per part, in the order the pipeline ran them."""
    p = PHRASES[lang]
    e = explanation
    lines = [p.heading.format(id=e.decision_id, at=_time(e.created_at), source=p.source[e.source])]
    if e.missing:
        lines.append(_sentence(p, p.missing.format(parts=_join(p, [p.parts[m] for m in e.missing]))))
    if e.aggregate is not None:
        a = e.aggregate
        lines.append(_sentence(p, p.aggregate.format(count=a.count, first=_time(a.first_at), last=_time(a.last_at))))
    lines += [_who(p, e), _verdict(p, e), _policy(p, e), *_pii(p, e), *_route(p, e), _timings(p, e),
              _features(p, e), *_outcomes(p, e)]
    return "\n".join(line for line in lines if line)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _join(p: Phrases, items: list[str]) -> str:
    return p.listing.join(items) if items else "-"


def _sentence(p: Phrases, text: str) -> str:
    return text + p.stop


def _rules(p: Phrases, title: str, rules: list[RuleReason]) -> str:
    if not rules:
        return ""
    return _sentence(p, title + p.colon + p.separator.join(p.rule.format(rule_id=r.rule_id, reason=r.reason)
                                                      for r in rules))


def _who(p: Phrases, e: DecisionExplanation) -> str:
    w = e.who
    if w.caller is None:
        head = p.who_unknown
    else:
        model = f" ({w.model})" if w.model else ""
        streamed = p.streamed if w.streamed else ""
        head = p.who.format(caller=w.caller, kind=p.kinds.get(w.kind, w.kind), model=model, streamed=streamed,
                            purpose=w.purpose if w.purpose else p.no_purpose)
    extra = []
    if w.customer_region:
        extra.append(p.region.format(region=w.customer_region))
    if w.conversation_id:
        extra.append(p.conversation.format(conversation=w.conversation_id[:12]))
    return _sentence(p, p.separator.join([head, *extra]))


def _verdict(p: Phrases, e: DecisionExplanation) -> str:
    v = e.verdict
    head = p.undecided if v.allowed is None else p.allowed if v.allowed else p.denied
    if v.stage == "completed":
        ended = p.completed
    elif v.stage is None or (v.allowed is False and v.stage == "policy"):
        ended = ""  # a schema-1 record did not say; a deny at the policy says it already
    elif v.allowed is True:
        ended = p.stopped_later.format(where=p.ended[v.stage])
    else:
        ended = p.stopped.format(where=p.ended[v.stage])
    error = f" {v.error_code}" if v.error_code else ""
    status = p.status.format(status=v.status_code, error=error)
    first = _sentence(p, f"{head}{ended}{p.parens[0]}{status}{p.parens[1]}")
    return "\n".join(x for x in (first, _rules(p, p.denied_by, v.denied_by), _rules(p, p.fired, v.reasons)) if x)


def _policy(p: Phrases, e: DecisionExplanation) -> str:
    pol = e.policy
    if pol.bundle_hash is None:
        return "" if "policy" in e.missing else _sentence(p, p.no_policy)
    when = (p.activated.format(at=_time(pol.activated_at), source=pol.activation_source)
            if pol.activated_at is not None else p.activation_unknown)
    parts = [p.policy.format(bundle=pol.bundle_hash, engine=pol.engine or "-"), when]
    if pol.benchmark:
        parts.append(p.benchmark.format(mode=pol.pipeline_mode))
    if pol.shadow_bundle_hash:
        parts.append(p.shadow.format(bundle=pol.shadow_bundle_hash[:12], count=len(pol.shadow_differences)))
    return _sentence(p, p.separator.join(parts))


def _finding(p: Phrases, n: int, f: PiiFindingPart) -> str:
    context = (p.context.format(boost=f"{f.context_boost:.2f}", word=f.context_word) if f.context_word else "")
    # No checksum ran: no clause (each clause brings its own separator).
    checksum = p.checksum[f.checksum_valid] if f.checksum_valid is not None else ""
    return p.finding.format(
        n=n, entity=f.entity_type, direction=p.directions[f.direction], location=f.location, start=f.start,
        end=f.end, language=f.language, recognizer=f.recognizer, source=f.source,
        pattern=f", {f.pattern_name}" if f.pattern_name else "", score=f"{f.score:.2f}",
        base=f"{f.original_score:.2f}", context=context, checksum=checksum,
        action=p.actions.get(f.action, f.action),
        rule=p.by_rule.format(rule_id=f.action_rule_id) if f.action_rule_id else "")


def _pii(p: Phrases, e: DecisionExplanation) -> list[str]:
    if not e.pii:
        return [] if "findings" in e.missing else [_sentence(p, p.no_pii)]
    return [_sentence(p, p.pii_count.format(count=len(e.pii)))] + [_finding(p, n, f) for n, f in
                                                                    enumerate(e.pii, 1)]


def _route(p: Phrases, e: DecisionExplanation) -> list[str]:
    r = e.route
    lines = []
    if r.permitted:
        deployments = _join(p, [f"{d.deployment} ({d.region})" for d in r.permitted])
        lines.append(_sentence(p, p.permitted.format(regions=_join(p, r.permitted_regions), deployments=deployments)))
    elif e.verdict.policy_decided:
        lines.append(_sentence(p, p.no_permitted))
    residency = []
    if r.cross_border_basis:
        residency.append(p.basis.format(basis=r.cross_border_basis))
    residency_rules = _rules(p, p.residency, r.residency_reasons)
    if residency_rules:
        lines.append(residency_rules)
    if residency:
        lines.append(_sentence(p, p.separator.join(residency)))
    if "route" in e.missing:
        return lines
    attempts = [p.attempt.format(n=n, deployment=a.deployment, region=a.region,
                                 outcome=p.attempt_outcomes.get(a.outcome, a.outcome),
                                 status=f" ({a.status})" if a.status is not None else "", ms=_ms(a.duration_ms))
                for n, a in enumerate(r.attempts, 1)]
    head = (p.answered_by.format(deployment=r.deployment, provider=r.provider or "-", region=r.region or "-",
                                 model=r.model or "-") if r.deployment else p.not_forwarded)
    if r.failovers:
        attempts.append(p.failovers.format(count=r.failovers))
    lines.append(_sentence(p, p.separator.join([head, *attempts])))
    return lines


def _timings(p: Phrases, e: DecisionExplanation) -> str:
    if "timings" in e.missing:
        return ""
    t = e.timings
    text = p.timings.format(total=_ms(t.total), pii=_ms(t.pii), policy=_ms(t.policy), upstream=_ms(t.upstream_total),
                            overhead=_ms(t.overhead))
    if t.upstream_ttft is not None:
        text += p.first_byte.format(ttft=_ms(t.upstream_ttft))
    return _sentence(p, text)


def _features(p: Phrases, e: DecisionExplanation) -> str:
    if "features" in e.missing:
        return ""
    values = e.features.model_dump()
    known = [f"{p.feature_names[name]} {values[name]}" for name in p.feature_names if values.get(name) is not None]
    return _sentence(p, p.features + p.colon + _join(p, known)) if known else _sentence(p, p.no_features)


def _outcomes(p: Phrases, e: DecisionExplanation) -> list[str]:
    if not e.outcomes:
        return [_sentence(p, p.no_outcomes)]
    items = [p.outcome.format(outcome=o.outcome, csat=f" (CSAT {o.csat})" if o.csat is not None else "",
                              when=_time(o.occurred_at), by=o.reported_by, via=p.via[o.attached_to])
             for o in e.outcomes]
    return [_sentence(p, p.outcomes + p.colon + p.separator.join(items))]
