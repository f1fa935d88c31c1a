"""Chinese PERSON from customer-service phrasings LAC does not tag.

LAC misses names it has not seen as a whole word (it splits 阎俊杰 into 阎 + 俊杰, or tags
a rare name n/nz), and `LacNerRecognizer` drops one-character PER spans (a bare surname).
Two cues make a name certain whatever LAC says:

* **surname + form of address**: 王先生, 李女士, 陈小姐, 高老师, 赵经理, 刘师傅, 孙阿姨, 周医生 …
  The surname (one of the common single or compound surnames below) is reported; the
  title is not part of the span, as in English ("Mr. [Ford]"). The surname must start a
  LAC word: "历史老师" (history teacher) has 史 inside the word 历史, so no name.
* **introduction cue + name**: 我叫X, 我是X, 我的名字是X, 联系人X, 收件人X, 收货人X, 姓名X,
  持卡人X, 户名X, 客户X, 本人X, 转告X (with an optional colon). X is a surname followed by one
  or two Han characters, cut at LAC's word boundaries, and must end at punctuation, the end
  of the text or a character that starts the next clause (的, 是, 在, 想, 电话 …): "我是第一次"
  (第 is no surname) and "我是王者荣耀玩家" (the name would run on into 荣耀) are not names.

Both score 0.7 (above the threshold, below LAC's 0.85); when LAC found the same name the
engine merges the two.
"""

from __future__ import annotations

import regex

from gateway.pii.recognizers.base import NerRecognizer

# Common surnames (the ~100 most frequent single ones and the compound ones still in use).
SURNAMES_ZH = frozenset(
    """王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 萧 田 董 袁 潘
    于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 傅 方 白 邹 孟 熊 秦 邱 江 尹
    薛 闫 阎 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 常 温 康 施 文 牛 樊 葛 邢 安 齐 易
    乔 伍 庞 颜 倪 庄 聂 章 鲁 岳 翟 殷 詹 申 欧 耿 关 兰 焦 俞 左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 梅 童 凌 毕 单 季 裴
    霍 涂 成 苗 谷 盛 曲 翁 冉 骆 蓝 路 游 辛 靳 管 柴 蒙 鲍 华 喻 祁 蒲 房 滕 屈 饶 解 牟 艾 尤 阳 时 穆 农 司 卓 古 吉
    缪 简 车 项 连 芦 麦 褚 娄 窦 戚 岑 景 党 宫 费 卜 冷 晏 席 卫 米 柏 宗 瞿 桂 全 佟 应 臧 闵 苟 邬 边 卞 姬 师 和 仇
    栾 隋 商 刁 沙 荣 巫 寇 桑 郎 甄 丛 仲 虞 敖 巩 明 佘 池 查 麻 苑 迟 邝 欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容
    令狐 夏侯 长孙 宇文 司徒 端木""".split()
)
_COMPOUND = tuple(sorted((s for s in SURNAMES_ZH if len(s) == 2), key=len, reverse=True))
_TITLES = ("先生", "女士", "小姐", "老师", "经理", "师傅", "阿姨", "医生", "律师", "主任", "教授", "总监", "同学", "大夫")
_TITLE_RX = regex.compile("|".join(_TITLES))
_CUE_RX = regex.compile(
    r"(?:我叫|我是|我的名字是|我的名字叫|名字是|名字叫|我姓名是|联系人|收件人|收货人|姓名|持卡人|户名|客户|本人|转告|"
    r"寄件人|申请人|开户人|签收人|经办人)[：:\s]*"
)
# Characters that may follow a name: punctuation or the start of the next clause.
_NAME_END = regex.compile(
    r"(?:$|[\s，。！？；：、,.!?;:（）()“”\"'\n]|的|是|在|想|要|请|麻|需|已|刚|和|与|给|电|手|身|我|您|你|他|她|今|昨|明|上|下|现|住|来|从|这|那|个|先|女|小|老|，)"
)
_NO_NAME_TAGS = frozenset({"v", "p", "d", "u", "c", "r", "m", "q", "w", "TIME", "f", "xc", "ad", "vd", "LOC", "ORG"})


class CnNameCueRecognizer(NerRecognizer):
    """See module docstring. Reads LAC's words (`NlpResult.tokens`) for word boundaries."""

    LABELS = {"PER": "PERSON"}
    SCORE = 0.7

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if "PERSON" not in entities or nlp_artifacts is None:
            return []
        tokens = nlp_artifacts.tokens
        starts = {t.start for t in tokens}
        ends = {t.end for t in tokens}
        tag_at = {t.start: t.tag for t in tokens}
        lac_people = [(s.start, s.end) for s in nlp_artifacts.entities if s.label == "PER" and s.end - s.start > 1]
        out = []
        for start, end, why in [*self._titled(text, starts), *self._cued(text, ends, tag_at)]:
            if any(s < end and start < e for s, e in lac_people):
                continue  # LAC has it (with its own, usually longer, edges)
            result = self.ner_result("PERSON", start, end, "PER")
            result.analysis_explanation.textual_explanation = why
            out.append(result)
        return out

    @staticmethod
    def _titled(text: str, starts: set[int]):
        for match in _TITLE_RX.finditer(text):
            pos = match.start()
            for length in (2, 1):
                start = pos - length
                if start < 0 or text[start:pos] not in SURNAMES_ZH:
                    continue
                if starts and start not in starts:
                    continue  # 历史老师: 史 is inside the word 历史
                yield start, pos, f"surname + {match.group()}"
                break

    @staticmethod
    def _cued(text: str, ends: set[int], tag_at: dict[int, str]):
        for match in _CUE_RX.finditer(text):
            start = match.end()
            surname = next((c for c in _COMPOUND if text.startswith(c, start)), text[start : start + 1])
            if surname not in SURNAMES_ZH:
                continue
            body = start + len(surname)
            if tag_at.get(start) in _NO_NAME_TAGS:
                continue
            # One or two given-name characters, preferring LAC's word end.
            options = [body + 2, body + 1]
            chosen = None
            for end in options:
                piece = text[body:end]
                if len(piece) != end - body or not regex.fullmatch(r"\p{Han}+", piece):
                    continue
                if ends and end not in ends:
                    continue
                if _NAME_END.match(text, end):
                    chosen = end
                    break
            if chosen is not None:
                yield start, chosen, f"introduction cue {match.group().strip('：: ')} + surname"


__all__ = ["CnNameCueRecognizer", "SURNAMES_ZH"]
