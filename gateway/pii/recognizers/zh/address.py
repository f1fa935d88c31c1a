"""Chinese postal addresses (ADDRESS): LAC place names merged with house-number tails."""

from __future__ import annotations

from typing import ClassVar

import regex
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, RecognizerResult

from gateway.pii.recognizers.base import explained_result

_NUM = r"[0-9０-９一二三四五六七八九十百千零〇两]"
# What follows a street name: 27号, 27号院, 3号楼, 2单元, 1201室, A座, 5层 …
_TAIL = regex.compile(
    r"(?:[-—]?(?:" + _NUM + r"+|[A-Za-z])(?:号院|号楼|号|栋|幢|座|单元|层|楼|室|户|弄|巷|排|组|期|区))+"
    r"(?:" + _NUM + r"+(?:室|房|户))?"
)
# A span is an address (not just a place) once it names something finer than a district.
_FINE = regex.compile(r"[路街巷弄号栋幢室村镇乡屯]|大道|胡同|小区|大厦|花园|公寓|社区|单元|园区|广场|新村|家园")
_ADMIN = regex.compile(r"(?:省|自治区|市|自治州|地区|盟|区|县|旗)$")
# Regex-only path (no LAC tokens, e.g. a Chinese run inside an English message):
# admin divisions, a street, a number. Leading words before the address are trimmed by
# `_LEAD` ("我住在", "地址：").
_STRUCTURED = regex.compile(
    r"(?:\p{Han}{1,8}?(?:省|自治区))?(?:\p{Han}{1,8}?(?:市|自治州|地区|盟))?(?:\p{Han}{1,8}?(?:区|县|旗|镇|乡))?"
    r"\p{Han}{1,12}?(?:路|街|大道|巷|弄|胡同)" + _TAIL.pattern
)
_LEAD = regex.compile(r".*(?:住在|住址是?|地址是?|地址为|位于|寄到|寄往|送到|发到|搬到|[：:，,在是到])")


class CnAddressRecognizer(LocalRecognizer):
    """ADDRESS from two sources, kept as two named steps.

    1. `_from_lac`: runs of adjacent LAC LOC words ("北京市" "海淀区" "中关村大街27号院3号楼"),
       extended by a house-number tail ("1201室"), accepted when they name something finer
       than a district (a street, a number, a compound) or chain two admin levels.
    2. `_from_patterns`: province/city/district + street + number, for text LAC did not see.

    Scores 0.9 / 0.8: above LAC's LOCATION (0.85 / lower), so the engine's overlap
    resolution keeps the address and drops the place names inside it.
    """

    ENTITY: ClassVar[str] = "ADDRESS"
    CONTEXT: ClassVar[list[str]] = ["地址", "住址", "住在", "收货", "寄到", "家住", "address"]
    LAC_SCORE: ClassVar[float] = 0.9
    PATTERN_SCORE: ClassVar[float] = 0.8

    def __init__(self, *, supported_language: str = "zh", context: list[str] | None = None, name: str | None = None):
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=supported_language,
            context=list(context if context is not None else self.CONTEXT),
            name=name,
        )

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        spans = self._from_lac(text, nlp_artifacts) + self._from_patterns(text)
        return EntityRecognizer.remove_duplicates([self._result(*s) for s in spans])

    def _from_lac(self, text: str, nlp_artifacts) -> list[tuple[int, int, float, str]]:
        tokens = getattr(nlp_artifacts, "tokens", ()) or ()
        out = []
        i = 0
        while i < len(tokens):
            if tokens[i].tag != "LOC":
                i += 1
                continue
            j = i
            while j + 1 < len(tokens) and tokens[j + 1].tag == "LOC" and tokens[j + 1].start == tokens[j].end:
                j += 1
            start, end = tokens[i].start, tokens[j].end
            tail = _TAIL.match(text, end)
            if tail:
                end = tail.end()
            span = text[start:end]
            admin_levels = sum(1 for t in tokens[i : j + 1] if _ADMIN.search(text[t.start : t.end]))
            if _FINE.search(span) or admin_levels >= 2:
                out.append((start, end, self.LAC_SCORE, "lac_loc_merge"))
            i = j + 1
        return out

    def _from_patterns(self, text: str) -> list[tuple[int, int, float, str]]:
        out = []
        for match in _STRUCTURED.finditer(text):
            start, end = match.span()
            lead = _LEAD.match(text, start, end)
            if lead:
                start = lead.end()
            if _FINE.search(text, start, end) and end - start >= 4:
                out.append((start, end, self.PATTERN_SCORE, "structured_address"))
        return out

    def _result(self, start: int, end: int, score: float, pattern_name: str) -> RecognizerResult:
        explanation = AnalysisExplanation(recognizer=self.name, original_score=score, pattern_name=pattern_name)
        source = "ner" if pattern_name.startswith("lac") else "pattern"
        return explained_result(self, self.ENTITY, start, end, score, explanation, source)