"""English PERSON / LOCATION / ORGANIZATION from spaCy's NER (run once in the NLP pass)."""

from __future__ import annotations

import regex

from gateway.pii.recognizers.base import NerRecognizer

# spaCy's small model tags some greetings, sign-offs and pronouns as PERSON when they are
# capitalised at the start of a message. These never name anyone on their own.
_NOT_A_NAME = regex.compile(
    r"(?i)^(?:hi|hello|hey|dear|thanks|thank you|regards|best|cheers|sir|madam|mr|mrs|ms|dr|"
    r"please|ok|okay|yes|no|i|me|my|you|your)\.?$"
)


class SpacyNerRecognizer(NerRecognizer):
    """Maps spaCy's OntoNotes labels onto GovGate's types.

    GPE (countries, cities, states), LOC (mountains, rivers) and FAC (buildings, airports,
    streets) all become LOCATION: the policy asks "does this place narrow down who the
    customer is", not which gazetteer the model used. NORP, DATE, MONEY etc. are not PII.
    """

    LABELS = {
        "PERSON": "PERSON",
        "GPE": "LOCATION",
        "LOC": "LOCATION",
        "FAC": "LOCATION",
        "ORG": "ORGANIZATION",
    }
    SCORE = 0.85

    def keep(self, text: str, start: int, end: int) -> bool:
        span = text[start:end].strip()
        return bool(span) and not _NOT_A_NAME.match(span) and any(c.isalpha() for c in span)
