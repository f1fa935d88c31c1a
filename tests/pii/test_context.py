from presidio_analyzer import Pattern

from gateway.pii.context import WindowContextEnhancer
from gateway.pii.recognizers.base import GovPatternRecognizer


class _Digits(GovPatternRecognizer):
    ENTITY = "THING"
    PATTERNS = [Pattern("digits", r"(?<![0-9])\d{6}(?![0-9])", 0.3)]
    CONTEXT = ["身份证", "account"]


def _boosted(text, language):
    rec = _Digits(supported_language=language)
    enhancer = WindowContextEnhancer()
    enhancer.prepare([rec])
    [result] = enhancer.enhance(text, rec.analyze(text, ["THING"]), language)
    return result


def test_zh_substring_context_raises_score_and_explains():
    r = _boosted("身份证号码是123456", "zh")
    assert r.score == 0.3 + 0.35
    assert r.analysis_explanation.supportive_context_word == "身份证"
    assert abs(r.analysis_explanation.score_context_improvement - 0.35) < 1e-9


def test_en_context_word_must_start_a_word():
    assert _boosted("my accounts: 123456", "en").analysis_explanation.supportive_context_word == "account"
    assert _boosted("bankaccount 123456", "en").score == 0.3


def test_far_context_is_ignored():
    assert _boosted("身份证" + "。" * 30 + "123456", "zh").score == 0.3
