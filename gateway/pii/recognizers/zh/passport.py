"""PRC passport numbers (护照)."""

from __future__ import annotations

from presidio_analyzer import Pattern

from gateway.pii.recognizers.base import L_GUARD, R_GUARD, GovPatternRecognizer


class CnPassportRecognizer(GovPatternRecognizer):
    """E-passports: E + 8 digits, or E + letter + 7 digits (since 2012); G + 8 digits
    (older ordinary passports); P/S/D + 7 digits (public affairs, service, diplomatic).

    No check digit exists outside the MRZ, so scores stay modest and the context words
    ("护照", "passport") do the lifting for the weaker, shorter forms.
    """

    ENTITY = "CN_PASSPORT"
    PATTERNS = [
        Pattern("cn_passport_e", L_GUARD + r"E(?:\d{8}|[A-HJ-NP-Z]\d{7})" + R_GUARD, 0.45),
        Pattern("cn_passport_g", L_GUARD + r"G\d{8}" + R_GUARD, 0.4),
        Pattern("cn_passport_official", L_GUARD + r"[PSD]\d{7}" + R_GUARD, 0.1),
    ]
    CONTEXT = ["护照", "护照号", "passport", "出入境", "签证"]
