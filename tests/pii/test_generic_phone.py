import pytest

from gateway.pii.recognizers.en.phone_pattern import GenericPhoneRecognizer


def _found(text):
    return [text[r.start : r.end] for r in GenericPhoneRecognizer(supported_language="en").analyze(text, [])]


@pytest.mark.parametrize(
    "value",
    ["(415) 555-0132", "+1-743-438-6774x62406", "50-98-28-96", "021-4006034", "785 8949", "001-748-088-2851x818"],
)
def test_national_formats(value):
    assert _found(f"Office: {value}-Fax") == [value] or _found(f"call {value} now") == [value]


def test_dates_and_short_numbers_are_not_phones():
    assert _found("on 2024-03-15 we met") == []
    assert _found("room 12 34") == []
