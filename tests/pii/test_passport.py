from gateway.pii.recognizers.zh.passport import CnPassportRecognizer


def _analyze(text):
    return [(text[r.start : r.end], r.score) for r in CnPassportRecognizer(supported_language="zh").analyze(text, [])]


def test_e_passport_formats():
    assert [v for v, _ in _analyze("护照号E12345678，")] == ["E12345678"]
    assert [v for v, _ in _analyze("护照EA1234567")] == ["EA1234567"]


def test_official_passports_score_low_without_context():
    [(_, score)] = _analyze("P1234567")
    assert score < 0.4


def test_not_part_of_a_longer_code():
    assert _analyze("SKUE12345678") == []
