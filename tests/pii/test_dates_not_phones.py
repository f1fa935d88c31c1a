"""Dates and times are never PHONE_NUMBER; phones of many countries still are."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pii.recognizers.date_shapes import date_time_spans, mask_date_times
from tests.pii.conftest import spans

DATES = [
    "2000-04-16 11", "1978-04-13 12:30", "1978-04-13 12:30:59", "2000-04-16T11:30:00Z", "16/04/2000",
    "04/16/2000", "04-16-2000", "16.04.2000", "2000.04.16", "2000/4/16", "20000416", "200004161130",
    "12:30", "9:05 pm", "12:30-14:00", "2000-04-16 - 2000-04-20", "1998-2002", "16/04/2000 11:30",
    "2024-03-15 08:00:00.123",
]


@pytest.mark.parametrize("date", DATES)
@pytest.mark.parametrize("template", ["on {} we met", "When: {}\nWhere: Berlin", "预约时间{}，谢谢", "{}"])
def test_dates_and_times_are_never_phones(blank_engine, date, template):
    text = template.format(date)
    assert spans(text, blank_engine.analyze(text), "PHONE_NUMBER") == []


def test_even_with_a_phone_context_word(blank_engine):
    text = "call me on 2000-04-16 11 or at 1978-04-13 12:30"
    assert spans(text, blank_engine.analyze(text), "PHONE_NUMBER") == []


PHONES = [
    "(415) 555-0132", "+1 415-555-0132", "415.555.0132", "+44 20 7946 0958", "020 7946 0958", "07700 900123",
    "+49 30 12345678", "030 1234567", "+33 1 23 45 67 89", "01 23 45 67 89", "+81 3-1234-5678", "090-1234-5678",
    "+91 98765 43210", "+55 11 91234-5678", "(11) 91234-5678", "+61 2 9876 5432", "0412 345 678",
    "+86 138 1234 5678", "13812345678", "010-12345678",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phones_of_several_countries_are_found(blank_engine, phone):
    text = f"Please call me at {phone} tomorrow."
    assert spans(text, blank_engine.analyze(text), "PHONE_NUMBER") == [phone]


@pytest.mark.parametrize("phone", ["555-0134", "+1 415 555 0134", "(415) 555-0132"])
def test_a_phone_next_to_a_date_is_still_a_phone(blank_engine, phone):
    text = f"On 2020-01-01 12:30 call {phone}, not on 16/04/2000."
    assert spans(text, blank_engine.analyze(text), "PHONE_NUMBER") == [phone]


def test_postcode_on_the_line_before_is_not_part_of_the_phone(blank_engine):
    text = "Bangladesh 71366\n078 6657 2626 office"
    assert spans(text, blank_engine.analyze(text), "PHONE_NUMBER") == ["078 6657 2626"]


def test_ranges_are_checked():
    assert (0, 10) not in date_time_spans("2000-13-01")  # no month 13 ("2000-13" reads as a year range)
    assert date_time_spans("1999-02-32") == []  # no day 32
    assert date_time_spans("25:61") == []
    assert date_time_spans("2002-1998") == []  # a range goes forwards
    assert date_time_spans("415 555 0132") == []


def test_mask_keeps_offsets():
    text = "at 2000-04-16 11 call 555-0134"
    masked = mask_date_times(text)
    assert len(masked) == len(text) and masked.endswith("call 555-0134") and "2000" not in masked


_FORMATS = ["%Y-%m-%d %H", "%Y-%m-%d %H:%M", "%d/%m/%Y", "%m/%d/%Y", "%Y.%m.%d", "%Y%m%d", "%d.%m.%Y %H:%M",
            "%Y-%m-%dT%H:%M:%S", "%H:%M", "%Y/%m/%d %H:%M:%S"]


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2099, 12, 31)), st.sampled_from(_FORMATS),
       st.sampled_from(["Date: {}", "on {}, phone later", "{} 到货", "({})"]))
def test_property_any_date_in_a_common_format_is_no_phone(blank_engine, when, fmt, template):
    text = template.format(when.strftime(fmt))
    assert spans(text, blank_engine.analyze(text), "PHONE_NUMBER") == []
