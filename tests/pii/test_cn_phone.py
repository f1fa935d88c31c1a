import pytest

from gateway.pii.recognizers.zh.phone import CnPhoneRecognizer


def _found(text):
    results = CnPhoneRecognizer(supported_language="zh").analyze(text, ["PHONE_NUMBER"])
    return [(text[r.start : r.end], r.score) for r in results]


@pytest.mark.parametrize(
    "text,value",
    [
        ("手机13812345678谢谢", "13812345678"),
        ("电话：+86 138 1234 5678", "+86 138 1234 5678"),
        ("座机010-62751234转", "010-62751234"),
        ("请拨打(021)12345678", "(021)12345678"),
    ],
)
def test_mainland_numbers(text, value):
    assert value in [v for v, _ in _found(text)]


def test_mobile_scores_above_bare_landline():
    [(_, mobile)] = _found("13812345678")
    [(_, landline)] = _found("01062751234")
    assert mobile > landline


def test_not_inside_longer_digit_strings():
    assert _found("6222021381234567890") == []
    assert _found("12812345678") == []  # 12x is not a mobile prefix
