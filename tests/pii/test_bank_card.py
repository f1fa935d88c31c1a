from gateway.pii.recognizers.zh.bank_card import CnBankCardRecognizer

CARD = "6222020200112345679"  # Luhn-valid


def _analyze(text):
    return CnBankCardRecognizer(supported_language="zh").analyze(text, ["CREDIT_CARD"])


def test_luhn_valid_card_glued_to_chinese():
    [r] = _analyze(f"卡号{CARD}谢谢")
    assert r.entity_type == "CREDIT_CARD"
    assert r.score == CnBankCardRecognizer.VALID_SCORE
    assert r.analysis_explanation.validation_result is True


def test_luhn_failure_lowers_score():
    [r] = _analyze("卡号6222020200112345670")
    assert r.score == CnBankCardRecognizer.INVALID_SCORE


def test_grouped_digits():
    [r] = _analyze("银行卡 6222 0202 0011 2345 679")
    assert r.score == CnBankCardRecognizer.VALID_SCORE


def test_resident_id_shape_is_left_to_the_id_recognizer():
    assert _analyze("11010519491231002X") == []
    assert _analyze("110105194912310021") == []
