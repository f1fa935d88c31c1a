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
    """

    LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
    SCORE = 0.85
    COUNTRY_SCORE = 0.3

    def __init__(self, *, demote_countries: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.demote_countries = demote_countries

    def _too_large(self, place: str) -> bool:
        return self.demote_countries and is_country_level(place)

    def keep(self, text: str, start: int, end: int) -> bool:
        return end - start > 1

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        results = super().analyze(text, entities, nlp_artifacts)
        if nlp_artifacts is None:
            return results
        org_starts = {s.start for s in nlp_artifacts.entities if s.label == "ORG"}
        out = []
        for r in results:
            if r.entity_type == "LOCATION":
                if r.end in org_starts:
                    continue
                if self._too_large(text[r.start : r.end]):
                    r.score = self.COUNTRY_SCORE
                    r.analysis_explanation.score = self.COUNTRY_SCORE
                    r.analysis_explanation.textual_explanation = "NER label LOC (country or region)"
            out.append(r)
        return out


def is_country_level(place: str) -> bool:
    """A country, continent, ocean or world region: too large to identify anyone."""
    return place in COUNTRIES_ZH or place in REGIONS_ZH or bool(_COUNTRY_SHAPE.match(place) or _REGION_SHAPE.match(place))
