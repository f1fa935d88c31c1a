"""统一社会信用代码 (unified social credit code of an organisation), GB 32100-2015."""

from __future__ import annotations

from presidio_analyzer import Pattern

from gateway.pii.recognizers.base import L_GUARD, R_GUARD, GovPatternRecognizer
from gateway.pii.recognizers.checksums import uscc_valid


class CnUsccRecognizer(GovPatternRecognizer):
    """18 symbols: registration authority, type, 6-digit region, 9-symbol org code, check.

    Not personal data in itself, but it identifies a sole proprietor's business, so the
    policy can decide. Checksum holds: 0.95; fails: 0.1 (an ID-card number has the same
    shape and fails this checksum 30 times in 31).
    """

    ENTITY = "CN_USCC"
    PATTERNS = [
        Pattern(
            "cn_uscc",
            L_GUARD + r"[1-9ANY][1-9A-HJ-NPQRTUWXY]\d{6}[0-9A-HJ-NPQRTUWXY]{9}[0-9A-HJ-NPQRTUWXY]" + R_GUARD,
            0.4,
        ),
    ]
    CONTEXT = ["信用代码", "统一社会信用代码", "营业执照", "税号", "纳税人识别号", "credit code"]
    VALID_SCORE = 0.95
    INVALID_SCORE = 0.1

    def validate_result(self, pattern_text: str) -> bool:
        return uscc_valid(pattern_text)
