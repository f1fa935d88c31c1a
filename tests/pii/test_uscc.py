from gateway.pii.recognizers.zh.uscc import CnUsccRecognizer


def _analyze(text):
    return CnUsccRecognizer(supported_language="zh").analyze(text, ["CN_USCC"])


def test_valid_code_glued_to_text():
    [r] = _analyze("统一社会信用代码91350100M000100Y43号")
    assert r.score == CnUsccRecognizer.VALID_SCORE


def test_invalid_checksum_kept_with_low_score():
    [r] = _analyze("代码91350100M000100Y44")
    assert r.score == CnUsccRecognizer.INVALID_SCORE
