"""PaymentCardRecognizer: every major scheme, Luhn, separators, English and Chinese context."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pii.recognizers.checksums import luhn_check_digit, luhn_valid
from gateway.pii.recognizers.payment_card import SCHEMES, PaymentCardRecognizer
from tests.pii.conftest import spans

RECOGNIZER = PaymentCardRecognizer(supported_language="en")


def found(text: str) -> list[tuple[str, float, str]]:
    return [(text[r.start : r.end], r.score, r.analysis_explanation.pattern_name.split(":")[1])
            for r in RECOGNIZER.analyze(text, ["CREDIT_CARD"])]


def in_fours(value: str, separator: str) -> str:
    """Groups of four, a short last group joined to the one before (never one lone digit)."""
    groups = [value[i : i + 4] for i in range(0, len(value), 4)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return separator.join(groups)


def with_luhn(body: str) -> str:
    return body + luhn_check_digit(body)


def broken(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# (scheme, a prefix, a length): the edges of each range and each length.
CASES = [
    ("visa", "4", 13), ("visa", "4", 16), ("visa", "4", 19),
    ("mastercard", "51", 16), ("mastercard", "55", 16), ("mastercard", "2221", 16), ("mastercard", "2720", 16),
    ("amex", "34", 15), ("amex", "37", 15),
    ("discover", "6011", 16), ("discover", "644", 16), ("discover", "649", 19), ("discover", "65", 17),
    ("jcb", "3528", 16), ("jcb", "3589", 19),
    ("diners", "300", 14), ("diners", "305", 14), ("diners", "36", 14), ("diners", "38", 16), ("diners", "39", 15),
    ("unionpay", "62", 16), ("unionpay", "62", 19),
    ("maestro", "50", 12), ("maestro", "56", 13), ("maestro", "69", 19), ("maestro", "63", 16),
]


def number(prefix: str, length: int) -> str:
    return with_luhn(prefix + "7" * (length - len(prefix) - 1))


@pytest.mark.parametrize(("scheme", "prefix", "length"), CASES)
def test_each_scheme_range_and_length_is_a_card(scheme, prefix, length):
    value = number(prefix, length)
    [(text, score, name)] = found(f"card {value} thanks")
    assert (text, name) == (value, scheme)
    assert score >= 0.5


@pytest.mark.parametrize(("scheme", "prefix", "length"), [c for c in CASES if c[0] != "unionpay"])
def test_luhn_invalid_numbers_of_luhn_schemes_are_dropped(scheme, prefix, length):
    assert found(f"card {broken(number(prefix, length))} thanks") == []


@pytest.mark.parametrize("value", ["2220" + "0" * 11 + "9", "2721" + "0" * 12, "56" + "1" * 9])
def test_outside_the_ranges_or_lengths_is_no_known_scheme(value):
    assert all(name == "other" for _, _, name in found(value))


def test_scheme_lengths_are_enforced():
    # Amex is 15 digits, Mastercard 16: at other lengths no scheme, at most an unverified 0.3.
    for value in (number("34", 16), number("51", 15), number("37", 14)):
        assert all(name == "other" and score < 0.4 for _, score, name in found(value))


@pytest.mark.parametrize("separator", [" ", "-", ""])
def test_separators(separator):
    visa = "4111111111111111"
    written = separator.join(visa[i : i + 4] for i in range(0, 16, 4))
    assert [t for t, _, _ in found(f"Card: {written}.")] == [written]
    amex = "378282246310005"
    written = separator.join([amex[:4], amex[4:10], amex[10:]])
    assert [t for t, _, _ in found(f"amex {written}")] == [written]


def test_mixed_separators_are_not_one_number():
    assert found("4111 1111-1111 1111") == []


def test_cvv_and_quantity_around_a_grouped_card_are_cut_off():
    assert [t for t, _, _ in found("Qty 12 4111 1111 1111 1111 123")] == ["4111 1111 1111 1111"]


def test_two_cards_in_a_row():
    text = "5555 5555 5555 4444 and 4012888888881881"
    assert [t for t, _, _ in found(text)] == ["5555 5555 5555 4444", "4012888888881881"]


def test_at_most_one_group_is_cut_at_each_end():
    for text in ("12 34 4111 1111 1111 1111", "4111 1111 1111 1111 12 34"):
        assert all(t != "4111 1111 1111 1111" and score < 0.4 for t, score, _ in found(text))


def test_unionpay_without_luhn_needs_context():
    value = broken(number("62", 19))
    [(_, score, name)] = found(value)
    assert (score, name) == (PaymentCardRecognizer.UNVERIFIED_SCORE, "unionpay")


def test_short_compact_numbers_score_lower():
    [(_, score, _)] = found(number("4", 13))
    assert score == PaymentCardRecognizer.SHORT_SCORE


def test_resident_id_shape_is_left_to_the_id_recognizer():
    assert found("11010519491231002X") == [] and found("110105194912310021") == []


def test_longer_digit_runs_are_not_cards():
    assert found("4" * 20) == [] and found("x4111111111111111") == []


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CASES), st.text("0123456789", min_size=30, max_size=30), st.sampled_from([" ", "-", ""]))
def test_property_valid_numbers_found_and_broken_ones_not(case, filler, separator):
    scheme, prefix, length = case
    value = with_luhn((prefix + filler)[: length - 1])
    written = in_fours(value, separator)
    assert [t for t, _, _ in found(f"my card {written} ok")] == [written]
    if scheme != "unionpay":
        bad = broken(value)
        assert not luhn_valid(bad)
        # The whole broken number is never a card; a grouped one may still hold a shorter
        # valid card once a trailing group is cut (a CVV), which is then Luhn-valid itself.
        for text, _, _ in found(f"my card {in_fours(bad, separator)} ok"):
            assert text != in_fours(bad, separator) and luhn_valid(text.replace(separator, "") if separator else text)


def test_scheme_table_matches_the_brief():
    names = [s.name for s in SCHEMES]
    assert names == ["visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay", "maestro"]
    assert [s.luhn for s in SCHEMES if s.name == "unionpay"] == [False]


# --- engine: context words, Chinese text ------------------------------------------------------

UNIONPAY_NO_LUHN = "6222020200112345670"


@pytest.mark.parametrize("text", [f"卡号{UNIONPAY_NO_LUHN}谢谢", f"我的银行卡是{UNIONPAY_NO_LUHN}",
                                  f"信用卡 {UNIONPAY_NO_LUHN}", f"my debit card {UNIONPAY_NO_LUHN}"])
def test_context_word_lifts_a_unionpay_number_without_luhn(blank_engine, text):
    assert spans(text, blank_engine.analyze(text), "CREDIT_CARD") == [UNIONPAY_NO_LUHN]


def test_no_context_no_unverified_card(blank_engine):
    text = f"订单号{UNIONPAY_NO_LUHN}"
    assert spans(text, blank_engine.analyze(text), "CREDIT_CARD") == []


def test_luhn_valid_card_glued_to_chinese(blank_engine):
    text = "卡号6222020200112345679谢谢"
    [finding] = [f for f in blank_engine.analyze(text) if f.entity_type == "CREDIT_CARD"]
    assert text[finding.start : finding.end] == "6222020200112345679"
    assert finding.explanation.validation_result is True
    assert finding.explanation.recognizer == "PaymentCardRecognizer"


def test_one_finding_per_card_in_mixed_text(blank_engine):
    text = "请用card 4111 1111 1111 1111付款"
    assert spans(text, blank_engine.analyze(text), "CREDIT_CARD") == ["4111 1111 1111 1111"]


def test_card_with_odd_separators_still_found(blank_engine):
    text = "card 4111.1111.1111.1111 please"
    assert spans(text, blank_engine.analyze(text), "CREDIT_CARD") == ["4111.1111.1111.1111"]
