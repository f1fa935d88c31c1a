"""Which part of the report evidences which requirement (the report's last section).

Data, not prose in a template: each requirement names the sections (their anchors in the
page) that carry its evidence, in both languages, and says plainly what the report cannot do
for it. The report is evidence for an obligation, never the whole of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from audits.texts import Lang


@dataclass(frozen=True)
class Evidence:
    anchor: str  # a section of the page: summary, findings, forest, ecdf, trend, ll144
    en: str
    zh: str


@dataclass(frozen=True)
class Requirement:
    law: dict[str, str]
    asks: dict[str, str]
    evidence: tuple[Evidence, ...]
    outside: dict[str, str]

    def localised(self, lang: Lang) -> dict[str, object]:
        return {"law": self.law[lang], "asks": self.asks[lang], "outside": self.outside[lang],
                "evidence": [{"anchor": e.anchor, "text": getattr(e, lang)} for e in self.evidence]}


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        law={"en": "NYC Local Law 144 (2021), DCWP rules 6 RCNY § 5-301: bias audit",
             "zh": "纽约市第 144 号地方法（2021），DCWP 规则 6 RCNY § 5-301：偏差审计"},
        asks={"en": "Selection or scoring rate and impact ratio for every category, intersectional categories, "
                    "the number in the unknown category, categories under 2 % excluded with the reason, the audit "
                    "date and the source and explanation of the data.",
              "zh": "每个类别的选择率或评分率及影响比、交叉类别、未知类别的人数、以理由排除占比低于 2% 的类别、"
                    "审计日期以及数据来源和说明。"},
        evidence=(
            Evidence("ll144", "per category the records, rate (selection rate for outcomes; the "
                              "scoring rate — share faster than the pooled median — for response speed) and impact "
                              "ratio; the unknown count; excluded categories with the reason.",
                     "每个类别的记录数、比率（结果类为选择率；响应速度为评分率，即快于总体中位数的比例）"
                     "与影响比；未知类别计数；被排除类别及其原因。"),
            Evidence("summary", "the audit date (generated), the window, records audited, and the data "
                                "sources (proxied through GovGate, or imported historical logs).",
                     "审计日期（生成时间）、时间窗、审计记录数以及数据来源（经 GovGate 代理或导入的历史日志）。"),
            Evidence("findings", "intersectional categories (e.g. gender × age band) tested the same way.",
                     "交叉类别（如性别 × 年龄段）以相同方法检验。"),
        ),
        outside={"en": "LL144 governs automated employment decision tools; here its format is applied to "
                       "customer service. An independent auditor, publication of the summary and notices are "
                       "the organisation's to arrange.",
                 "zh": "LL144 适用于自动化雇佣决策工具；此处将其格式用于客户服务。独立审计师、结果摘要的公开以及"
                       "通知义务由组织自行安排。"}),
    Requirement(
        law={"en": "EU AI Act (Regulation (EU) 2024/1689) Art. 12: record-keeping",
             "zh": "欧盟《人工智能法》（条例 (EU) 2024/1689）第 12 条：记录保存"},
        asks={"en": "Automatic logs over the system's lifetime that let one identify situations that may present "
                    "a risk or a substantial modification, and support post-market monitoring and the "
                    "deployer's monitoring of operation.",
              "zh": "在系统生命周期内自动记录日志，以便识别可能带来风险或构成实质性修改的情形，并支持上市后监测及"
                    "部署者对运行的监测。"},
        evidence=(
            Evidence("summary", "the report is computed from the hash-chained decision ledger (records "
                                "audited, by source; what was read and left out) and names every policy version "
                                "that decided in the window, with its activation time.",
                     "报告基于哈希链决策账本计算（审计记录数及来源、已读取但未审计的记录），并列出时间窗内"
                     "作出决策的每个策略版本及其激活时间。"),
            Evidence("findings", "situations that may present a risk: confirmed and warning gaps between "
                                 "groups.",
                     "可能带来风险的情形：群体间已确认与警告的差距。"),
            Evidence("trend", "how those gaps move from one audit to the next (post-market monitoring).",
                     "这些差距在历次审计间的变化（上市后监测）。"),
        ),
        outside={"en": "The logs themselves and their integrity: govgate decisions verify checks the chains; "
                       "retention is set by GOVGATE_RETENTION_DAYS.",
                 "zh": "日志本身及其完整性：govgate decisions verify 校验哈希链；保存期限由 "
                       "GOVGATE_RETENTION_DAYS 设定。"}),
    Requirement(
        law={"en": "EU AI Act Art. 13: transparency and information to deployers",
             "zh": "欧盟《人工智能法》第 13 条：透明度及向部署者提供信息"},
        asks={"en": "Instructions that state the system's performance, including, where appropriate, as regards "
                    "specific persons or groups, its known limitations, and information to interpret its output.",
              "zh": "使用说明须说明系统性能（适当时包括针对特定人员或群体的性能）、已知局限，以及解释其输出所需的信息。"},
        evidence=(
            Evidence("findings", "performance by group, with its uncertainty.",
                     "按群体的性能及其不确定性。"),
            Evidence("forest", "every ratio and interval against the thresholds, at a glance.",
                     "所有比值与置信区间相对阈值的一览。"),
            Evidence("ecdf", "the whole response-time distribution of each group.",
                     "各群体完整的响应时间分布。"),
            Evidence("findings", "adjusted ratios and factor shares: how much of a gap legitimate factors "
                                 "explain.",
                     "调整后比值与因素占比：合理因素能解释多少差距。"),
            Evidence("summary", "the thresholds, and the methodology (with its limitations) the report names.",
                     "阈值，以及报告所引用的方法说明（含局限）。"),
        ),
        outside={"en": "The instructions for use themselves; whether the system is high-risk (Annex III) is the "
                       "provider's assessment.",
                 "zh": "使用说明本身；系统是否属于高风险（附件三）由提供者评估。"}),
    Requirement(
        law={"en": "GDPR Art. 22: automated individual decision-making",
             "zh": "GDPR 第 22 条：自动化个人决策"},
        asks={"en": "Where decisions based solely on automated processing significantly affect people: "
                    "safeguards, including human intervention and the right to contest; Recital 71 asks to prevent "
                    "discriminatory effects.",
              "zh": "若仅基于自动化处理的决策对个人产生重大影响：须提供保障措施，包括人工干预和提出异议的权利；"
                    "鉴于条款第 71 条要求防止歧视性影响。"},
        evidence=(
            Evidence("findings", "outcomes (refunds granted and denied, blocked, escalated to a human) "
                                 "by group: whether automated decisions affect groups differently, and whether "
                                 "human intervention reaches every group alike.",
                     "按群体的结果（退款批准与拒绝、被拦截、转人工）：自动化决策是否对不同群体产生不同影响，"
                     "以及人工干预是否同等覆盖各群体。"),
            Evidence("ll144", "the same outcomes as rates and impact ratios.",
                          "以比率和影响比呈现同样的结果。"),
        ),
        outside={"en": "The report holds counts and aggregates by attribute value, no personal data; an "
                       "individual's explanation is govgate decisions explain.",
                 "zh": "本报告仅含按属性值的计数与汇总，不含个人数据；针对个人的解释见 govgate decisions explain。"}),
    Requirement(
        law={"en": "PIPL Art. 24 (China): automated decision-making",
             "zh": "《个人信息保护法》第二十四条：自动化决策"},
        asks={"en": "Transparency of decisions and fair, just results; no unreasonable differential treatment in "
                    "trading conditions; an explanation on request where a decision significantly affects a person.",
              "zh": "保证决策的透明度和结果公平、公正，不得对个人在交易条件上实行不合理的差别待遇；对个人权益有重大影响"
                    "的决定，个人有权要求说明。"},
        evidence=(
            Evidence("findings", "differential treatment in service conditions (response speed) and "
                                 "results (refunds, resolution) by group, tested and explained.",
                     "按群体检验并解释服务条件（响应速度）与结果（退款、解决）方面的差别待遇。"),
            Evidence("trend", "whether a gap is being closed between audits.",
                              "差距在历次审计间是否正在缩小。"),
        ),
        outside={"en": "An individual's explanation on request: govgate decisions explain <id> --lang zh; the "
                       "personal information protection impact assessment (Art. 55) may cite this report.",
                 "zh": "应个人要求提供说明：govgate decisions explain <id> --lang zh；个人信息保护影响评估"
                       "（第五十五条）可引用本报告。"}),
)
