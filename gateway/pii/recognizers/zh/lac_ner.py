"""Chinese PERSON / LOCATION / ORGANIZATION from Baidu LAC (run once in the NLP pass)."""

from __future__ import annotations

import regex

from gateway.pii.recognizers.base import NerRecognizer

# Countries. A place this large narrows down nobody ("我在中国买的", "美国的订单"), so with
# `demote_countries=True` a bare mention scores `COUNTRY_SCORE`, below the engine's threshold
# (still reported when a caller lowers the threshold; a country inside an address stays part
# of the ADDRESS span). Off by default: MSRA labels countries as LOC and its LOC recall falls
# from 0.75 to 0.45 (F1 0.82 -> 0.60), while CLUENER LOC F1 only rises 0.62 -> 0.66.
COUNTRIES_ZH = frozenset(
    """中国 中华 美国 英国 法国 德国 日本 韩国 朝鲜 俄罗斯 俄国 苏联 前苏联 意大利 西班牙 葡萄牙 荷兰 比利时
    瑞士 瑞典 挪威 丹麦 芬兰 冰岛 爱尔兰 奥地利 波兰 捷克 斯洛伐克 匈牙利 罗马尼亚 保加利亚 希腊 土耳其
    乌克兰 白俄罗斯 塞尔维亚 克罗地亚 斯洛文尼亚 立陶宛 拉脱维亚 爱沙尼亚 格鲁吉亚 亚美尼亚 阿塞拜疆
    哈萨克斯坦 哈撒克斯坦 乌兹别克斯坦 吉尔吉斯斯坦 塔吉克斯坦 土库曼斯坦 蒙古 印度 巴基斯坦 阿富汗 伊朗
    伊拉克 叙利亚 黎巴嫩 以色列 巴勒斯坦 约旦 沙特 沙特阿拉伯 阿联酋 卡塔尔 科威特 也门 阿曼 埃及 利比亚
    突尼斯 阿尔及利亚 摩洛哥 苏丹 埃塞俄比亚 肯尼亚 尼日利亚 南非 津巴布韦 安哥拉 加纳 喀麦隆 刚果
    泰国 越南 老挝 柬埔寨 缅甸 马来西亚 新加坡 印度尼西亚 印尼 菲律宾 文莱 孟加拉 尼泊尔 斯里兰卡
    澳大利亚 澳洲 新西兰 加拿大 墨西哥 巴西 阿根廷 智利 秘鲁 哥伦比亚 委内瑞拉 古巴 乌拉圭 巴拉圭
    玻利维亚 厄瓜多尔 苏格兰 英格兰 威尔士""".split()
)
# Continents, oceans and world regions (demoted with the countries).
REGIONS_ZH = frozenset(
    """亚洲 欧洲 非洲 美洲 北美 南美 拉美 大洋洲 南极 北极 东亚 东南亚 南亚 中亚 西亚 中东 近东 远东
    欧美 亚太 西方 东方 全球 世界 海外 国外 境外 国内 内地 大陆 太平洋 大西洋 印度洋 北冰洋
    南半球 北半球 东欧 西欧 北欧 南欧 中欧""".split()
)
# "X国" of at most three characters ("泰国", "该国", "各国"), and "X洲"/"X洋".
_COUNTRY_SHAPE = regex.compile(r"^\p{Han}{1,2}国$")
_REGION_SHAPE = regex.compile(r"^\p{Han}{1,2}[洲洋]$")


# Words that, right after a place name, make the place the start of an organisation's name:
# "美国军方", "深圳总行", "印度海军", "中国队". Chosen on both datasets: CLUENER labels these
# as organisations, and MSRA never labels the place in front of them as LOC. Left out on
# purpose: 政府, 当局, 军队, 部队, 公安, 人民 (MSRA labels "中国" in "中国政府" as LOC).
ORG_HEADS_ZH = tuple(
    sorted(
        """军方 海军 空军 陆军 舰队 法院 检察院 使馆 大使馆 领事馆 总领事馆 代表处 代表团 办事处 分行 总行
        支行 银行 信托 证券 期货 集团 公司 国防部 外交部 部门 委员会 协会 大学 电视台 日报 队 足协 俱乐部
        警方 海关""".split(),
        key=len,
        reverse=True,
    )
)
# Words that end an organisation's name a few words after the place ("日本 松山 海上 保安部",
# "魁北克 彩票 机构"), or inside a word LAC tagged LOC as a whole ("湖南信托", "俄罗斯国防部",
# "督院街派出所"). `ORG_HEADS_ZH` plus more, but only heads of two or more characters: 队 would
# catch 部队/军队, whose place MSRA labels LOC ("驻香港部队").
ORG_TAIL_HEADS_ZH = tuple(
    sorted(
        {h for h in ORG_HEADS_ZH if len(h) > 1}
        | set(
            """部门 机构 组织 保安部 派出所 公安局 公安厅 研究所 研究院 研究会 学会 商会 基金会 事务所 领事馆 总领事馆
            有限公司 公司 集团 信托 银行 交易所 电视台 广播电台 出版社 报社 杂志社 联合会 理事会 管理局 工作组
            办公室""".split()
        ),
        key=len,
        reverse=True,
    )
)
# Word tags that may sit between a place and the organisation word ending its name.
_NAME_BODY_TAGS = frozenset({"n", "nz", "vn", "an", "a", "LOC", "nw", "b", "s"})
# A news outlet before a place starts a dateline ("新华社北京3月1日电", "新浪科技讯北京时间"),
# not a branch name.
_NEWS_OUTLET = regex.compile(r"(?:社|讯|报|台|网)$")
# Generic descriptions, not names: "北京市有关部门", "各相关机构".
_GENERIC_BODY = regex.compile(r"^(?:有关|相关|各|主管|职能)")
# An administrative unit inside the LOC word ("湖南省…公安局刑侦大队"): the word is an address
# with an organisation at its end, and the places in it stay places.
_ADMIN_INSIDE = regex.compile(r"[省市县]")
_NAME_BODY_MAX_WORDS = 4

# "队员", "队伍" after a place are people or a generic noun, not a team name.
_NOT_TEAM = frozenset("员伍")

# Sports reporting: a text with at least `SPORTS_MIN_CUES` of these words is about matches,
# and the places in it are mostly clubs and national teams ("曼城", "拉齐奥", "意大利没有布丰"):
# CLUENER files them as organisations, and so does a reader.
SPORTS_CUES_ZH = frozenset(
    """球队 主场 客场 联赛 球员 足球 篮球 比赛 赛季 足彩 德比 欧赔 亚盘 让球 进球 出线 战平 逼平 不败 连胜
    连败 球迷 门将 主帅 意甲 英超 西甲 德甲 法甲 欧冠 联盟杯 足总杯 世界杯 盘口 赔率 国家队 上轮 本轮
    做客 坐镇 首发 射门 赢球 输球 平局 主胜 客胜 下盘 上盘 球会 vs 阿森纳 切尔西 曼联 利物浦 皇马 巴萨 拜仁
    尤文 国米 热刺 埃弗顿 替补 队长 赛程 杯赛 客战 主队 客队 博胆 防平 受注 降盘 双杀
    击败 取胜 前锋 后卫 中场 转会 带队 预选赛 胜负 伤兵 主教练 破门 射手 防守 进攻""".split()
)
# Match results ("1比3", "6胜1平3负") and fixtures ("桑德兰vs博尔顿") count as one more cue.
_SCORE_LINE = regex.compile(r"\d+比\d+|\d+胜\d+平|\d+平\d+负|\p{Han}{2}\s?(?:vs|VS|Vs)\.?\s?\p{Han}{2}")
SPORTS_MIN_CUES = 2
# A place with an administrative or geographic suffix stays a place even in a match report.
_VENUE = regex.compile(r"球场|体育场|体育馆|球馆")
# Places that also name an industry ("好莱坞大片" is a kind of film, "华尔街投行" a kind of bank):
# directly before a noun or adjective they describe the industry, not a place. "在好莱坞",
# "好莱坞的" stay places.
INDUSTRY_PLACES_ZH = frozenset("好莱坞 宝莱坞 华尔街 百老汇 硅谷".split())
_MODIFIED_TAGS = frozenset({"n", "nz", "vn", "a", "an", "nw"})

# A country or world region + 区/版 as a word of its own is a company's sales or competition
# division or a product edition ("中国区运营", "中国区预选赛", "中国版"), not a place anyone is at.
_DIVISION_WORDS = frozenset({"区", "版"})

# A building or venue LAC tags ORG ("乐成中心", "华中科技大学体育馆") is a place when a locative
# word follows it: "在乐成中心下面", "在…体育馆内", "…博物馆中".
_VENUE_HEAD = regex.compile(r"(?:中心|大厦|大楼|广场|馆|球场|体育场|剧院|影城|酒店|宾馆|饭店|商场|公园|机场|车站)$")
_LOCATIVE_AFTER = regex.compile(r"(?:内|里|中|下面|楼下|外|旁|旁边|附近|门口|门前|对面|周边)")
_LOCATIVE_BEFORE = regex.compile(r"(?:在|来自|自|到|赴|于|往|抵)$")
_PLACE_SUFFIX = regex.compile(r"(?:省|市|区|县|镇|乡|村|州|路|街|道|山|河|江|湖|海|岛|港|湾|站|场|馆)$")


class LacNerRecognizer(NerRecognizer):
    """Maps LAC's PER/LOC/ORG to GovGate's types.

    * Single-character PER spans are dropped: LAC labels surnames used alone ("王说…",
      "找李") as PER, and a lone surname identifies nobody.
    * With `demote_countries=True` (off by default, see `COUNTRIES_ZH`), a LOC that is a
      country, continent, ocean or world region scores `COUNTRY_SCORE`, below the default
      threshold. Regions alone (亚洲, 海外) were measured too: CLUENER LOC F1 0.617 -> 0.623
      but MSRA LOC F1 0.825 -> 0.802 (MSRA labels continents), so they are not demoted either.
    * A LOC directly followed by an ORG span is the start of the organisation's name
      ("北京" + "公安部门", "深圳" + "总行"): it is not reported as a place of its own.
    * A LOC directly followed by an organisation word (`ORG_HEADS_ZH`: 军方, 海军, 总行, 队 …)
      is reported as ORGANIZATION covering both ("美国军方", "中国队"), at `ORG_SCORE`.
    * In a sports text (`is_sports_text`), a LOC without a place suffix (市, 区, 路, 江 …) is a
      club or national team ("曼城", "拉齐奥", "意大利没有布丰") and is reported as
      ORGANIZATION, unless a locative word precedes it ("来自荷兰", "在葡萄牙赢球") or a ground
      follows it ("斯坦福桥" + "球场", kept as the place "斯坦福桥球场").
    * A LOC that is part of an organisation's name becomes ORGANIZATION over the name
      (`_org_name`): the LOC word ends with an organisation word ("湖南信托"); a few name words
      follow it and the last ends with one ("日本松山海上保安部"); or an ORG directly precedes
      it, bare or in brackets, naming a branch ("汇丰中国", "渣打银行（香港）有限公司"; not a
      dateline "新华社北京3月1日电"). Not after 驻 ("驻香港部队"), not for generic descriptions
      ("北京市有关部门"), not when the LOC word holds 省/市/县 (an address ending in an office).
    * An ORG ending with a building word (中心, 大厦, 馆, 广场 …) directly followed by a locative
      word (内, 里, 中, 下面, 附近 …) is the building, a LOCATION ("在乐成中心下面").
    * An industry place (好莱坞, 华尔街 …) directly before a noun or adjective names the
      industry ("好莱坞大片") and is not reported; a country + 区/版 is a sales or competition
      division or an edition ("中国区运营", "中国版") and is not reported.
    """

    LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
    SCORE = 0.85
    COUNTRY_SCORE = 0.3

    ORG_SCORE = 0.7

    def __init__(
        self, *, demote_countries: bool = False, org_heads: bool = True, sports_clubs: bool = True,
        venues: bool = True, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.demote_countries = demote_countries
        self.org_heads = org_heads
        self.sports_clubs = sports_clubs
        self.venues = venues

    def _too_large(self, place: str) -> bool:
        return self.demote_countries and is_country_level(place)

    def keep(self, text: str, start: int, end: int) -> bool:
        return end - start > 1

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if nlp_artifacts is None:
            return []
        # All labels: a rule may turn a LOC into an ORGANIZATION or an ORG into a LOCATION.
        results = super().analyze(text, self.supported_entities, nlp_artifacts)
        org_starts = {s.start for s in nlp_artifacts.entities if s.label == "ORG"}
        tokens = nlp_artifacts.tokens
        token_at = {t.start: i for i, t in enumerate(tokens)}
        sports = self.sports_clubs and is_sports_text(text)
        out = []
        for r in results:
            if r.entity_type == "ORGANIZATION" and self.venues and self._is_venue(text, r):
                if "LOCATION" in entities:
                    out.append(self._as_venue(r))
                continue
            if r.entity_type == "LOCATION":
                if r.end in org_starts:
                    continue
                if self._names_industry(text, r, tokens, token_at) or self._names_division(text, r, tokens, token_at):
                    continue
                if self.org_heads:
                    org = self._org_name(text, r, tokens, token_at)
                    if org is not None:
                        if "ORGANIZATION" in entities:
                            out.append(self._as_org(r, org[1], org[2], start=org[0]))
                        continue
                head = self._org_head(text, r.end) if self.org_heads else None
                if head is not None:
                    if "ORGANIZATION" in entities:
                        out.append(self._as_org(r, r.end + len(head), f"NER label LOC + organisation word {head}"))
                    continue
                if sports and not _PLACE_SUFFIX.search(text, r.start, r.end):
                    venue = _VENUE.match(text, r.end)
                    if venue:  # "斯坦福桥" + "球场": the ground, a place
                        r.end = venue.end()
                        out.append(r)
                        continue
                    if _LOCATIVE_BEFORE.search(text, max(0, r.start - 2), r.start):
                        out.append(r)  # "来自荷兰的", "在葡萄牙赢球": the country itself
                        continue
                    if "ORGANIZATION" in entities:
                        out.append(self._as_org(r, r.end, "NER label LOC in a sports text (a club or team)"))
                    continue
                if self._too_large(text[r.start : r.end]):
                    r.score = self.COUNTRY_SCORE
                    r.analysis_explanation.score = self.COUNTRY_SCORE
                    r.analysis_explanation.textual_explanation = "NER label LOC (country or region)"
            out.append(r)
        return [r for r in out if r.entity_type in entities]


    @staticmethod
    def _org_name(text: str, r, tokens, token_at) -> tuple[int, int, str] | None:
        """(start, end, why) of an organisation name that the place `r` is part of, if any.

        * The LOC word itself ends with an organisation word ("湖南信托", "俄罗斯国防部").
        * A few name words follow the place directly (nouns, adjectives, other names: no
          punctuation, verb or 的) and the last of them ends with an organisation word
          ("印度" 国防 研究 与 发展 "组织" stops at 与; "日本" 松山 海上 "保安部").
        """
        if text[max(0, r.start - 1) : r.start] == "驻":
            return None  # "驻香港部队", "驻纽约总领事馆": where it is stationed, a place
        word = text[r.start : r.end]
        for head in ORG_TAIL_HEADS_ZH:
            if len(word) - len(head) >= 2 and word.endswith(head):
                if _ADMIN_INSIDE.search(word, 0, len(word) - len(head)):
                    return None
                return r.start, r.end, f"NER label LOC ending with organisation word {head}"
        i = token_at.get(r.start)
        if i is None or tokens[i].end != r.end:
            return None
        branch = _branch_of(text, tokens, i)
        if branch is not None:
            return branch
        end = r.end
        for t in tokens[i + 1 : i + 1 + _NAME_BODY_MAX_WORDS]:
            if t.start != end or t.tag not in _NAME_BODY_TAGS:
                break
            end = t.end
            piece = text[t.start : t.end]
            if _GENERIC_BODY.match(piece):
                break
            for head in ORG_TAIL_HEADS_ZH:
                if piece.endswith(head) and end - r.end > len(head):
                    return r.start, end, f"NER label LOC + name words ending with organisation word {head}"
        return None

    @staticmethod
    def _names_industry(text: str, r, tokens, token_at) -> bool:
        if text[r.start : r.end] not in INDUSTRY_PLACES_ZH:
            return False
        i = token_at.get(r.start)
        nxt = tokens[i + 1] if i is not None and i + 1 < len(tokens) else None
        return nxt is not None and nxt.start == r.end and nxt.tag in _MODIFIED_TAGS

    @staticmethod
    def _names_division(text: str, r, tokens, token_at) -> bool:
        i = token_at.get(r.start)
        nxt = tokens[i + 1] if i is not None and i + 1 < len(tokens) else None
        return (
            nxt is not None
            and nxt.start == r.end
            and text[nxt.start : nxt.end] in _DIVISION_WORDS
            and is_country_level(text[r.start : r.end])
        )

    @staticmethod
    def _is_venue(text: str, r) -> bool:
        return bool(_VENUE_HEAD.search(text, r.start, r.end) and _LOCATIVE_AFTER.match(text, r.end))

    def _as_venue(self, result):
        loc = self.ner_result("LOCATION", result.start, result.end, "ORG")
        loc.analysis_explanation.textual_explanation = "NER label ORG, a building or venue followed by a locative word"
        return loc

    @staticmethod
    def _org_head(text: str, end: int) -> str | None:
        for head in ORG_HEADS_ZH:
            if text.startswith(head, end):
                if head == "队" and text[end + 1 : end + 2] in _NOT_TEAM:
                    return None
                return head
        return None

    def _as_org(self, result, end: int, why: str, *, start: int | None = None):
        org = self.ner_result("ORGANIZATION", result.start if start is None else start, end, "LOC")
        org.score = self.ORG_SCORE
        org.analysis_explanation.score = self.ORG_SCORE
        org.analysis_explanation.original_score = self.ORG_SCORE
        org.analysis_explanation.textual_explanation = why
        return org


def _branch_of(text: str, tokens, i: int) -> tuple[int, int, str] | None:
    """An organisation directly before the place, or before it in brackets, names a branch
    or subsidiary: "汇丰" + "中国", "工行" + "深圳地区", "渣打银行（香港）有限公司". Not a dateline:
    the place is not followed by a date or time, nor preceded by a news outlet."""
    if i == 0:
        return None
    prev = tokens[i - 1]
    bracket = text[prev.start : prev.end] in ("（", "(") and i >= 2
    if bracket:
        if text[tokens[i].end : tokens[i].end + 1] not in ("）", ")"):
            return None
        prev = tokens[i - 2]
        if prev.end != tokens[i - 1].start:
            return None
    elif prev.end != tokens[i].start:
        return None
    if prev.tag != "ORG" or _NEWS_OUTLET.search(text, prev.start, prev.end):
        return None
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if not bracket and nxt is not None and nxt.tag in ("TIME", "m"):
        return None
    end = tokens[i].end + (1 if bracket else 0)
    return prev.start, end, "NER label LOC right after an organisation (a branch or subsidiary)"


def is_sports_text(text: str) -> bool:
    """At least `SPORTS_MIN_CUES` different sports words in the text."""
    lowered = text.lower()
    found = 1 if _SCORE_LINE.search(text) else 0
    for cue in SPORTS_CUES_ZH:
        if cue in lowered:
            found += 1
            if found >= SPORTS_MIN_CUES:
                return True
    return False


def is_country_level(place: str) -> bool:
    """A country, continent, ocean or world region: too large to identify anyone."""
    return place in COUNTRIES_ZH or place in REGIONS_ZH or bool(_COUNTRY_SHAPE.match(place) or _REGION_SHAPE.match(place))
