"""Phone numbers in the many national formats python-phonenumbers will not match
without knowing the country ("785 8949", "50-98-28-96", "(88) 684-334", "001-…x818")."""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern

from gateway.pii.recognizers.base import GovPatternRecognizer

_DATE = regex.compile(r"(?:19|20)\d\d[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])|(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)\d\d")


class GenericPhoneRecognizer(GovPatternRecognizer):
    """Digit groups joined by spaces, dots or dashes, optional +country / 00 / (area) prefix
    and extension; 7 to 15 digits in all.

    Complements Presidio's `PhoneRecognizer`, which only accepts numbers valid for the
    configured regions. Scores 0.4 (exactly the default threshold) with a separator-rich
    shape, 0.75 with a context word; dates are rejected, and card numbers, SSNs and IBANs
    win the overlap (they score higher in their own recognizers).
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern(
            "phone_grouped",
            r"(?<![\w+.]|\d-)(?:(?:\+|00)\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)\s?)?\d{2,4}(?:[\s.-]\d{2,8}){1,4}"
            r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w]|[-.]\d)",
            0.4,
        ),
        Pattern(
            "phone_parenthesised",
            r"(?<![\w+.]|\d-)\(\d{2,4}\)\s?\d{3,4}[\s.-]?\d{3,4}(?:\s?x\d{1,6})?(?![\w]|[-.]\d)",
            0.5,
        ),
        # Ten or eleven bare digits: as likely an order or account number; needs context.
        Pattern("phone_bare", r"(?<![\w+.-])\+?\d{10,11}(?![\w]|[-.]\d)", 0.1),
    ]
    CONTEXT = ["phone", "telephone", "tel", "cell", "mobile", "call", "reach", "contact", "fax", "whatsapp", "office"]

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = sum(c.isdigit() for c in regex.sub(r"(?:x|ext\.?)\s?\d+$", "", pattern_text))
        return not 7 <= digits <= 15 or _DATE.fullmatch(pattern_text) is not None
