"""English PERSON / LOCATION / ORGANIZATION from spaCy's NER (run once in the NLP pass)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import regex

from gateway.pii.recognizers.base import NerRecognizer
from gateway.pii.recognizers.en.name_context import firm_lists, in_firm_list
from gateway.pii.recognizers.en.name_lists import POSSESSIVE_END
from gateway.pii.recognizers.en.name_rules import (
    LEADING_TITLE,
    TITLE_WORDS,
    and_address,
    company_word_follows,
    in_address_context,
    in_place_context,
    is_lowercase_message,
    organisation_line,
    place_or_company,
)

# spaCy's small model tags some greetings, sign-offs and pronouns as PERSON when they are
# capitalised at the start of a message. These never name anyone on their own.
_NOT_A_NAME = regex.compile(
    r"(?i)^(?:hi|hello|hey|dear|thanks|thank you|regards|best|cheers|sir|madam|mr|mrs|ms|dr|"
    r"please|ok|okay|yes|no|i|me|my|you|your)\.?$"
)

# A PERSON span after a house number or a street word, or before a street type, is a street
# named after someone ("87 Rue Joseph Vernet", "Via Goffredo Mameli"): see `name_rules`.
# A PERSON span with a digit, a line break, or ending in a street word is the small model
# reading an address as a name ("Eusebio Dávila 57", "Gordon Street").
_ADDRESS_LIKE = regex.compile(
    r"\d|\n|(?i:\b(?:street|st|road|rd|avenue|ave|suite|apt|box|po|lane|drive|way|calle|rua|via)\.?$)"
)


_NAME_STOP = regex.compile(r"[:\"“”\\]")
# A comma-separated part of a span: its words, without the comma and spaces around them.
_JOINER = regex.compile(r",|[ \t](?:and|&|to|with|or)[ \t]")
_WORDS = regex.compile(r"\S(?:.*\S)?")

# Months and weekdays the small model reads as a PERSON ("in March", "since Friday").
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
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

    def __init__(self, *, is_name: Callable[[str], bool] | None = None, **kwargs) -> None:
        # `is_name`: a given-name test (GivenNameRecognizer.is_name), so "Marks & Spencer" is a
        # firm and "Anna & Tom" two people; None leaves such pairs to the other firm cues.
        super().__init__(**kwargs)
        self._is_name = is_name

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        results = self._split_lists(text, super().analyze(text, entities, nlp_artifacts))
        for r in results:
            # The small model runs a name on into the next line ("Stephanie Sullivan\nPhone:",
            # "Ashley Belov\n>Mclaughlin Ltd."): the name is the first line.
            if r.entity_type == "PERSON" and "\n" in text[r.start : r.end]:
                r.end = r.start + len(text[r.start : r.end].split("\n", 1)[0].rstrip())
            # "luis: \"who" read as one name: a name stops at a colon or a quote.
            cut = _NAME_STOP.search(text, r.start, r.end) if r.entity_type == "PERSON" else None
            if cut is not None:
                r.end = r.start + len(text[r.start : cut.start()].rstrip())
            # "Anna's", "Google's" read whole: the possessive ending is no part of the name.
            possessive = POSSESSIVE_END.search(text, r.start, r.end)
            if possessive is not None:
                r.end = possessive.start()
            # A title read into the name ("Mme. Lefèvre", "Herr Brandt"): the name is after it.
            title = LEADING_TITLE.match(text, r.start, r.end) if r.entity_type == "PERSON" else None
            if title is not None:
                r.start = title.end()
            if r.entity_type == "PERSON" and text[r.start : r.end].strip(" .").lower() in TITLE_WORDS:
                r.end = r.start  # a title alone identifies nobody
            if r.entity_type == "PERSON" and text[r.start : r.end].lower() in _CALENDAR:
                r.end = r.start  # "in March", "since Friday": a date, not a person
        results = [r for r in results if r.end > r.start and any(c.isalpha() for c in text[r.start : r.end])]
        firms = (
            firm_lists(text, lower=is_lowercase_message(text), is_name=self._is_name)
            if any(r.entity_type == "PERSON" for r in results)
            else []
        )
        persons = [(r.start, r.end) for r in results if r.entity_type == "PERSON"]
        return [r for r in results if self._kept(text, r, firms, persons)]

    def _kept(self, text, r, firms, persons) -> bool:
        # Joined by "and" to a street address, a name of any type is part of it ("Please
        # return to Iwan and Aqqusinersuaq 171").
        one_line = "\n" not in text[r.start : r.end]
        if r.entity_type in ("PERSON", "ORGANIZATION") and one_line and and_address(text, r.end):
            return False
        if r.entity_type != "PERSON":
            return True
        return (
            self._plausible_name(text[r.start : r.end])
            and not in_address_context(text, r.start, r.end)
            and not in_place_context(text, r.start, r.end)
            and not (firms and in_firm_list(text, r.start, r.end, firms))
            and not place_or_company(text[r.start : r.end])
            and not company_word_follows(text, r.end)
            and not organisation_line(text, r.start, r.end, persons)
        )

    @staticmethod
    def _split_lists(text, results):
        """The small model reads names joined by commas or a word as one PERSON ("Lakshmi Iyer,
        Maite Olabarrieta", "Ludovica, Eero", "said Mai to Jerry"): each part is its own finding. (A "Last, First" pair
        is joined again by `GivenNameRecognizer`, which knows given names.)"""
        out = []
        for r in results:
            if r.entity_type != "PERSON" or not _JOINER.search(text, r.start, r.end):
                out.append(r)
                continue
            pos = r.start
            for cut in (*_JOINER.finditer(text, r.start, r.end), None):
                stop = cut.start() if cut is not None else r.end
                part = _WORDS.search(text, pos, stop)
                if part is not None:
                    piece = copy.copy(r)
                    piece.start, piece.end = part.span()
                    out.append(piece)
                pos = cut.end() if cut is not None else r.end
        return out

    def keep(self, text: str, start: int, end: int) -> bool:
        span = text[start:end].strip()
        return bool(span) and not _NOT_A_NAME.match(span) and any(c.isalpha() for c in span)

    @staticmethod
    def _plausible_name(span: str) -> bool:
        # All-capitals words are headings, acronyms and city lines of postal addresses.
        return not _ADDRESS_LIKE.search(span) and not (span.isupper() and len(span) > 3)
