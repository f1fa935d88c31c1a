"""E-mail addresses, validated against the *bundled* public-suffix snapshot."""

from __future__ import annotations

import regex
import tldextract
from presidio_analyzer import AnalysisExplanation, EntityRecognizer
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from gateway.pii.recognizers.base import ASCII_REGEX_FLAGS, explained_result

_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?"
# An address with non-ASCII letters somewhere (müller@bücher.de, 用户@例子.中国). Unicode on
# purpose, unlike Presidio's pattern: the local part is trimmed afterwards (see `_idn_span`).
_IDN_EMAIL = regex.compile(
    r"(?<![\p{L}\p{N}._%+\-@])(?P<local>[\p{L}\p{N}._%+\-]+)@(?P<domain>" + _LABEL + r"(?:\." + _LABEL + r")+)"
)
_HAN = regex.compile(r"[\p{Han}\u3040-\u30ff\uac00-\ud7af]")
_LETTER = regex.compile(r"\p{L}")
# Chinese words that end the text before a Chinese local part ("我的邮箱是用户@例子.中国").
_ZH_CUE = regex.compile(r".*(?:邮箱|邮件|电邮|地址|是|为|给|到|至)")


def offline_tld_extractor() -> tldextract.TLDExtract:
    """A `TLDExtract` that never fetches the public suffix list (the snapshot ships with it).

    Presidio's `EmailRecognizer` calls the module-level `tldextract.extract`, whose default
    extractor downloads the list on first use: a gateway must not make a network call
    (or stall for its timeout) on its first e-mail.
    """
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern, with an injected offline TLD extractor and ASCII `\\w`.

    ASCII matters on Chinese text: in Unicode mode `\\w` includes Han characters, so
    `发邮件到zhangwei@example.com` would match from `发`.
    """

    def __init__(
        self,
        *,
        supported_language: str,
        tld_extractor: tldextract.TLDExtract | None = None,
        context: list[str] | None = None,
    ) -> None:
        super().__init__(supported_language=supported_language, context=context)
        self.global_regex_flags = ASCII_REGEX_FLAGS
        self._tld = tld_extractor or offline_tld_extractor()

    def validate_result(self, pattern_text: str) -> bool:
        return self._tld(pattern_text).fqdn != ""

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        results = super().analyze(text, entities, nlp_artifacts, regex_flags) or []
        if not text.isascii():
            results += self._idn(text)
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results

    def _idn(self, text: str):
        out = []
        for match in _IDN_EMAIL.finditer(text):
            span = self._idn_span(text, match)
            if span is None:
                continue
            start, end = span
            explanation = AnalysisExplanation(
                recognizer=self.name, original_score=EntityRecognizer.MAX_SCORE, pattern_name="idn_email",
                validation_result=True,
            )
            out.append(explained_result(self, "EMAIL_ADDRESS", start, end, EntityRecognizer.MAX_SCORE, explanation,
                                        "checksum"))
        return out

    def _idn_span(self, text: str, match) -> tuple[int, int] | None:
        """(start, end) of an internationalised address, or None (ASCII, or no known suffix).

        The local part is cut where the script changes between Han and other letters
        ("邮箱müller@…" → "müller"), and a Han local part after a cue word ("邮箱是用户@…" →
        "用户"): Chinese has no spaces to end it. A domain whose last label runs on into the
        sentence ("例子.中国谢谢") is cut to the longest known suffix.
        """
        local_start, at = match.span("local")
        local = match.group("local")
        han_local = [bool(_HAN.match(c)) for c in local if _LETTER.match(c)]
        if han_local:
            last = han_local[-1]
            cut = 0
            for i, c in enumerate(local):
                if _LETTER.match(c) and bool(_HAN.match(c)) != last:
                    cut = i + 1
            local_start += cut
            if last:
                cue = _ZH_CUE.match(text, local_start, at)
                if cue is not None:
                    local_start = cue.end()
        while local_start < at and text[local_start] in "._%+-":
            local_start += 1
        if local_start >= at:
            return None
        domain_start, end = match.span("domain")
        while end > domain_start and self._tld(text[domain_start:end]).fqdn == "":
            if not _HAN.match(text[end - 1]) or text[end - 2] == ".":
                return None
            end -= 1
        if end <= domain_start or text[local_start:end].isascii():
            return None  # ASCII addresses are Presidio's pattern's
        return local_start, end
