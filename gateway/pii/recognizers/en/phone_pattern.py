"""Phone numbers in the many national formats python-phonenumbers will not match
without knowing the country ("785 8949", "50-98-28-96", "(88) 684-334", "001-…x818")."""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern

from presidio_analyzer import EntityRecognizer

from gateway.pii.recognizers.base import GovPatternRecognizer
from gateway.pii.recognizers.date_shapes import mask_date_times


class GenericPhoneRecognizer(GovPatternRecognizer):
    """Digit groups joined by spaces, dots or dashes, optional +country / 00 / (area) prefix
    and extension; 7 to 15 digits in all. The first group may have five digits (UK
    "07700 900123", India "+91 98765 43210", Brazil "(11) 91234-5678"). Groups never
    run across a line break: a postcode ending one line is not the start of the phone
    number opening the next.

    Complements Presidio's `PhoneRecognizer`, which only accepts numbers valid for the
    configured regions. Scores 0.4 (exactly the default threshold) with a separator-rich
    shape, 0.75 with a context word; card numbers, SSNs and IBANs win the overlap (they
    score higher in their own recognizers).

    Dates and times are masked out of the text before the patterns read it
    (`date_shapes.mask_date_times`): "2000-04-16 11", "1978-04-13 12:30", "16.04.2000",
    "1998-2002" have a phone's digit groups but are never a phone, and a phone written next
    to a date ("2020-01-01 555-0134") is still read on its own.
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern(
            "phone_grouped",
            r"(?<![\w+.]|\d-)(?:(?:\+|00)\d{1,3}[ \t.-]?)?(?:\(\d{1,4}\)[ \t]?)?\d{2,5}(?:[ \t.-]\d{2,8}){1,4}"
            r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w]|[-.]\d)",
            0.4,
        ),
        Pattern(
            "phone_parenthesised",
            r"(?<![\w+.]|\d-)\(\d{2,4}\)\s?\d{3,5}[\s.-]?\d{3,4}(?:\s?x\d{1,6})?(?![\w]|[-.]\d)",
            0.5,
        ),
        # Ten or eleven bare digits: as likely an order or account number; needs context.
        Pattern("phone_bare", r"(?<![\w+.-])\+?\d{10,11}(?![\w]|[-.]\d)", 0.1),
    ]
    CONTEXT = ["phone", "telephone", "tel", "cell", "mobile", "call", "reach", "contact", "fax", "whatsapp", "office"]

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        masked = mask_date_times(text)
        results = [r for p, rx in self._compiled for r in self._matches(masked, p, rx)]
        return EntityRecognizer.remove_duplicates(results)

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = sum(c.isdigit() for c in regex.sub(r"(?:x|ext\.?)\s?\d+$", "", pattern_text))
        return not 7 <= digits <= 15
