"""居民身份证号码 (PRC resident identity card number), GB 11643-1999."""

from __future__ import annotations

from presidio_analyzer import Pattern

from gateway.pii.recognizers.base import L_GUARD, R_GUARD, GovPatternRecognizer
from gateway.pii.recognizers.checksums import resident_id_valid


class CnResidentIdRecognizer(GovPatternRecognizer):
    """18-character ID: 6-digit region, birth date YYYYMMDD, 3-digit sequence, check code.

    The check code is validated. A failure lowers the score to `INVALID_SCORE` (kept, not
    dropped): one mistyped digit does not make the rest of the number less personal, and
    with a context word ("身份证") the score climbs back over the threshold.
    """

    ENTITY = "CN_RESIDENT_ID"
    PATTERNS = [
        Pattern(
            "cn_resident_id",
            L_GUARD
            + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
            + R_GUARD,
            0.5,
        ),
    ]
    CONTEXT = ["身份证", "身份证号", "证件号", "公民身份", "id card", "resident id", "identity card"]
    VALID_SCORE = 1.0
    INVALID_SCORE = 0.3

    def validate_result(self, pattern_text: str) -> bool:
        return resident_id_valid(pattern_text)
