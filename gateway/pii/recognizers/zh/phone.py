"""Mainland China phone numbers: mobile (1[3-9]x) and landline with area code."""

from __future__ import annotations

from presidio_analyzer import Pattern

from gateway.pii.recognizers.base import L_GUARD, R_GUARD, GovPatternRecognizer

_CC = r"(?:(?:\+|00)86[\s-]?)?"


class CnPhoneRecognizer(GovPatternRecognizer):
    """PHONE_NUMBER, the same entity type as Presidio's phone recognizer for English.

    Mobile numbers have a narrow, well-formed range (1[3-9] + 9 digits) and score 0.6.
    Landlines need an area code (0 + 2-3 digits); written with a separator they score 0.5,
    run together with the subscriber number (11-12 bare digits) only 0.3, which needs a
    context word ("电话", "座机") to pass the default threshold.
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern("cn_mobile", L_GUARD + _CC + r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}" + R_GUARD, 0.6),
        Pattern(
            "cn_landline",
            L_GUARD + r"(?:" + _CC + r"\(0?\d{2,3}\)\s?|" + _CC + r"0\d{2,3}[\s-])\d{7,8}(?:-\d{1,5})?"
            + R_GUARD,
            0.5,
        ),
        Pattern("cn_landline_bare", L_GUARD + r"0[1-9]\d{1,2}[2-9]\d{6,7}" + R_GUARD, 0.3),
    ]
    CONTEXT = ["手机", "电话", "联系方式", "座机", "致电", "拨打", "号码", "mobile", "phone", "call"]
