"""English PERSON context rules (`recognizers/en/name_rules.py`, `name_context.py`): where a
name-like word is a place, part of an address or a firm, and where context makes it a person.
Unit tests on the rules' functions; the full engine where they meet spaCy."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pii.recognizers.en.name_rules import in_address_context, in_place_context
from tests.pii.conftest import spans


def _at(text: str, word: str) -> tuple[str, int, int]:
    start = text.index(word)
    return text, start, start + len(word)


@pytest.mark.parametrize(
    "text,word",
    [
        ("98 Grote Baan 477, Kaster", "Kaster"),
        ("We'll meet at Esri, 64 Király u. 23., Tiszabög", "Tiszabög"),
        ("Ship to 14 Florence Road, Leeds please.", "Leeds"),
        ("Please return to Eloise and 226 Thomas Avenue in case of an issue.", "Eloise"),
        ("The letter arrived at Archie and Estrela 57 last night.", "Archie"),
        ("Please update the billing address with Merle and P.O. Box 255.", "Merle"),
        ("Meet me at Spencer and Via Roma 41", "Spencer"),
    ],
)
def test_locality_and_address_coordination_are_address(text, word):
    assert in_address_context(*_at(text, word))


@pytest.mark.parametrize(
    "text,word",
    [
        ("On 12 May 2020, John called again.", "John"),
        ("In 2019, Maria opened the account.", "Maria"),
        ("Anna and Ben 2 years ago bought the plan.", "Anna"),
        ("Anna and Ben have 3 kids on the plan.", "Anna"),
        ("I talked to Anna and 2 others.", "Anna"),
    ],
)
def test_dates_counts_and_people_are_not_addresses(text, word):
    assert not in_address_context(*_at(text, word))


@pytest.mark.parametrize(
    "text,word",
    [
        ("the White Stripes' home city Wassenaar: rock", "Wassenaar"),
        ("Name: Vittoria Mancuso\nCity: Regina\nPhone: 0161", "Regina"),
        ("Country: Jordan", "Jordan"),
        ("We moved from Eugene to Georgia last year.", "Eugene"),
        ("I am in Larnaka for a business trip", "Larnaka"),
        ("I'm in Korbous, at the conference", "Korbous"),
        ("Celebrating its 10th year in Quincy, the shop", "Quincy"),
        ("She was born in Adelaide.", "Adelaide"),
    ],
)
def test_place_words_labels_and_travel_verbs_make_a_place(text, word):
    assert in_place_context(*_at(text, word))


@pytest.mark.parametrize(
    "text,word",
    [
        ("I got an e-mail from Anna yesterday.", "Anna"),
        ("Please send it to Tom.", "Tom"),
        ("I'm in Anna's team.", "Anna"),
        ("Meet me at Priya's desk.", "Priya"),
        ("I am Joanna and I need help.", "Joanna"),
    ],
)
def test_bare_prepositions_and_possessives_keep_the_person(text, word):
    assert not in_place_context(*_at(text, word))


_WORD = st.from_regex(r"\A[A-Z][a-z]{2,9}\Z", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(street=_WORD, town=_WORD, number=st.integers(1, 9999))
def test_any_town_after_street_and_number_is_a_locality(street, town, number):
    text, start, end = _at(f"I live at {street}gasse {number}, {town}", town)
    assert in_address_context(text, start, end)


@settings(max_examples=60, deadline=None)
@given(name=_WORD, day=st.integers(1, 28), year=st.integers(1950, 2030))
def test_a_name_after_a_date_is_not_a_locality(name, day, year):
    text, start, end = _at(f"On {day} March {year}, {name} called.", name)
    assert not in_address_context(text, start, end)


@pytest.mark.parametrize(
    "text",
    [
        "We moved from Eugene to Georgia last year.",
        "Name: Khalid Mansour\nCity: Adelaide\nPhone: 0161 496 0734",
        "I'd like to call a taxi to Josefine and Rua Soldado Joaquim Xavier 1471.",
        "Theresa Maruyama lives at 39 Maneeži 37, Ruhve",
    ],
)
def test_places_named_like_people_are_not_persons(pii_engine, text):
    found = spans(text, pii_engine.analyze(text), "PERSON")
    assert not any(w in f for f in found for w in ("Eugene", "Adelaide", "Josefine", "Ruhve")), found
