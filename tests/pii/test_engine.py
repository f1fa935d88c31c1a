import threading

import pytest

from gateway.pii.engine import MAX_TEXT_LENGTH, PiiEngine
from gateway.pii.errors import PiiInputError
from gateway.pii.findings import Finding
from tests.pii.conftest import spans

ID = "11010519491231002X"


def test_empty_and_whitespace(pii_engine):
    assert pii_engine.analyze("") == []
    assert pii_engine.analyze("   \n") == []


@pytest.mark.parametrize("text", ["1234567890" * 20, "😀🙈🎉" * 50, "\x00\x01\x02"])
def test_odd_input_without_pii_finds_nothing(pii_engine, text):
    # A 200-digit run is no phone, card or id: the patterns match whole values, not pieces of one.
    assert pii_engine.analyze(text) == []


def test_mixed_scripts_give_well_formed_findings_and_no_number(pii_engine):
    text = "abc 漢字 русский عربى 123"
    findings = pii_engine.analyze(text)
    for f in findings:
        assert 0 <= f.start < f.end <= len(text) and 0 < f.score <= 1 and f.language in ("en", "zh")
    # What the NER makes of the words is the model's business; "123" is no identifier.
    assert "123" not in spans(text, findings)


def test_too_long_and_wrong_type(blank_engine):
    with pytest.raises(PiiInputError):
        blank_engine.analyze("a" * (MAX_TEXT_LENGTH + 1))
    with pytest.raises(PiiInputError):
        blank_engine.analyze(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(PiiInputError):
        blank_engine.analyze("x", language="fr")  # type: ignore[arg-type]
    with pytest.raises(PiiInputError):
        blank_engine.analyze("x", entities=["NO_SUCH_TYPE"])
    assert issubclass(PiiInputError, ValueError)


def test_glued_values_in_chinese_text(blank_engine):
    text = f"卡号4111111111111111谢谢，身份证{ID}，手机13812345678，邮箱zw@example.com。"
    found = {(f.entity_type, text[f.start : f.end]) for f in blank_engine.analyze(text)}
    assert {
        ("CREDIT_CARD", "4111111111111111"),
        ("CN_RESIDENT_ID", ID),
        ("PHONE_NUMBER", "13812345678"),
        ("EMAIL_ADDRESS", "zw@example.com"),
    } <= found


def test_checksum_failure_lowers_score_and_context_lifts_it(blank_engine):
    bad = ID[:-1] + "1"
    [with_context] = [f for f in blank_engine.analyze(f"身份证{bad}") if f.entity_type == "CN_RESIDENT_ID"]
    assert with_context.explanation.validation_result is False
    assert with_context.score < 1.0
    assert with_context.explanation.supportive_context_word == "身份证"
    assert [f for f in blank_engine.analyze(f"编号{bad}") if f.entity_type == "CN_RESIDENT_ID"] == []


def test_mixed_english_message_with_chinese_name(pii_engine):
    text = "Please ask 张伟 to call me back at +1 (415) 555-0132, thanks."
    findings = pii_engine.analyze(text)
    assert ("PERSON", "张伟", "zh") in [(f.entity_type, text[f.start : f.end], f.language) for f in findings]
    assert "(415) 555-0132" in spans(text, findings, "PHONE_NUMBER")[0]


def test_mixed_chinese_message_with_email_and_card(pii_engine):
    text = "您好，我是李娜，邮箱lina@example.com，信用卡5555555555554444，住在上海市浦东新区世纪大道100号。"
    found = {(f.entity_type, text[f.start : f.end]) for f in pii_engine.analyze(text)}
    assert {("PERSON", "李娜"), ("EMAIL_ADDRESS", "lina@example.com"), ("CREDIT_CARD", "5555555555554444")} <= found
    assert ("ADDRESS", "上海市浦东新区世纪大道100号") in found


def test_findings_explain_themselves_without_the_value(pii_engine):
    [finding] = pii_engine.analyze("card 4111111111111111", entities=["CREDIT_CARD"])
    assert isinstance(finding, Finding)
    assert finding.explanation.source == "checksum" and finding.explanation.validation_result is True
    assert "4111" not in finding.model_dump_json()


def test_entity_filter_and_threshold(pii_engine):
    text = "John Smith, card 4111111111111111"
    assert {f.entity_type for f in pii_engine.analyze(text, entities=["CREDIT_CARD"])} == {"CREDIT_CARD"}
    assert pii_engine.analyze(text, score_threshold=1.01) == []


def test_overlapping_types_keep_the_specific_one(pii_engine):
    text = "I live at 221 Baker Street now"
    findings = pii_engine.analyze(text)
    assert spans(text, findings, "ADDRESS") == ["221 Baker Street"]
    assert spans(text, findings, "PERSON") == []


def test_allow_list(blank_engine):
    engine = PiiEngine(blank_engine.registry, blank_engine._nlp, allow_list=["support@example.com"])
    assert engine.analyze("write to support@example.com") == []


def test_supported_entities(pii_engine):
    assert {"PERSON", "CN_RESIDENT_ID", "CREDIT_CARD", "US_SSN"} <= set(pii_engine.supported_entities)


def test_thread_safety_smoke(pii_engine):
    texts = [
        "Hi, this is Jennifer Lawson, card 4111 1111 1111 1111, email jen@example.com",
        f"我是张伟，身份证{ID}，手机13812345678",
    ]
    expected = [pii_engine.analyze(t) for t in texts]
    errors, mismatches = [], []

    def worker(i):
        try:
            for _ in range(15):
                if pii_engine.analyze(texts[i % 2]) != expected[i % 2]:
                    mismatches.append(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and mismatches == []
