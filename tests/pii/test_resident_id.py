from gateway.pii.recognizers.zh.resident_id import CnResidentIdRecognizer

VALID = "11010519491231002X"


def _analyze(text):
    return CnResidentIdRecognizer(supported_language="zh").analyze(text, ["CN_RESIDENT_ID"])


def test_valid_id_scores_max_and_reports_checksum():
    [result] = _analyze(f"身份证号{VALID}谢谢")
    assert (result.start, result.end) == (4, 22)
    assert result.score == 1.0
    assert result.analysis_explanation.validation_result is True


def test_failed_checksum_lowers_score_but_keeps_match():
    [result] = _analyze("证件110105194912310021。")
    assert result.score == CnResidentIdRecognizer.INVALID_SCORE
    assert 0 < result.score < 1.0
    assert result.analysis_explanation.validation_result is False


def test_glued_to_chinese_and_not_inside_longer_numbers():
    assert len(_analyze(f"号码是{VALID}的用户")) == 1
    assert _analyze(f"9{VALID}") == []
    assert _analyze(f"{VALID}7") == []


def test_impossible_birth_date_is_not_an_id():
    assert _analyze("110105194913310021") == []  # month 13
