"""European and Latin American street addresses (IntlStreetAddressRecognizer) and the
place gazetteer (PlaceGazetteerRecognizer)."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.benchmarks.pii_sets.addresses import COUNTRIES
from gateway.pii.recognizers.en.intl_address import IntlStreetAddressRecognizer
from gateway.pii.recognizers.en.places import PlaceGazetteerRecognizer, load_places

from tests.pii.conftest import spans

PLACES, AMBIGUOUS = load_places()
RECOGNIZER = IntlStreetAddressRecognizer(known_places=PLACES)
GAZETTEER = PlaceGazetteerRecognizer(PLACES, AMBIGUOUS)


def _found(text):
    return [text[r.start : r.end] for r in RECOGNIZER.analyze(text, ["ADDRESS"])]


@pytest.mark.parametrize(
    "country,text,address",
    [
        ("BR", "I live at Rua do Arenque 1634, 01310-100 São Paulo.", "Rua do Arenque 1634, 01310-100 São Paulo"),
        ("BR", "Avenida Paulista, 1000 - Apto 12", "Avenida Paulista, 1000 - Apto 12"),
        ("PT", "Travessa da Liberdade, nº 45, 1200-195 Lisboa", "Travessa da Liberdade, nº 45, 1200-195 Lisboa"),
        ("FI", "send it to Puruntie 82 A 12, 00100 Helsinki please", "Puruntie 82 A 12, 00100 Helsinki"),
        ("FI", "Mannerheimintie 5 as. 3", "Mannerheimintie 5 as. 3"),
        ("DK", "Præstevænget 15, 2100 København Ø", "Præstevænget 15, 2100 København Ø"),
        ("SE", "Storgatan 5, 111 52 Stockholm", "Storgatan 5, 111 52 Stockholm"),
        ("NO", "Karl Johans gate 1, 0154 Oslo", "Karl Johans gate 1, 0154 Oslo"),
        ("DE", "My address is Hauptstraße 12, 10115 Berlin.", "Hauptstraße 12, 10115 Berlin"),
        ("DE", "Lindenstr. 5a", "Lindenstr. 5a"),
        ("ES", "Calle Mayor 5, 2º B, 28013 Madrid", "Calle Mayor 5, 2º B, 28013 Madrid"),
        ("ES", "C/ de Alcalá, nº 45, 3º izq.", "C/ de Alcalá, nº 45, 3º izq."),
        ("FR", "12 rue de la Paix, 75008 Paris", "12 rue de la Paix, 75008 Paris"),
        ("FR", "8 bis, avenue Victor Hugo", "8 bis, avenue Victor Hugo"),
        ("IT", "Via Vittorio Emanuele II 22, 20121 Milano", "Via Vittorio Emanuele II 22, 20121 Milano"),
        ("IT", "Piazza Navona 3/A", "Piazza Navona 3/A"),
        ("NL", "Keizersgracht 123, 1015 CJ Amsterdam", "Keizersgracht 123, 1015 CJ Amsterdam"),
        ("UK", "Flat 3, 27 Mill Lane, Oxford OX1 2JD", "Flat 3, 27 Mill Lane, Oxford OX1 2JD"),
        ("UK", "12 Acacia Avenue, London SW1A 1AA", "12 Acacia Avenue, London SW1A 1AA"),
        (
            "MX",
            "Av. Insurgentes Sur 1602, Col. Crédito Constructor, 03940 Ciudad de México",
            "Av. Insurgentes Sur 1602, Col. Crédito Constructor, 03940 Ciudad de México",
        ),
    ],
)
def test_addresses_by_country(country, text, address):
    assert address in _found(text), country


@pytest.mark.parametrize("text,address", [("86 Vitoria 55 Apt. 456", "86 Vitoria 55 Apt. 456"),
                                           ("I moved to 12 Oak Hill\nSuite 300\nSpringfield", "12 Oak Hill\nSuite 300\nSpringfield")])
def test_house_number_and_name_with_a_unit_but_no_street_type(text, address):
    assert address in _found(text)


@pytest.mark.parametrize("text,part", [("I moved to 00100 Helsinki", "00100 Helsinki"), ("75008 Paris", "75008 Paris"),
                                        ("1012 AB Amsterdam", "1012 AB Amsterdam"),
                                        ("01310-100 São Paulo", "01310-100 São Paulo")])
def test_postal_code_next_to_a_known_city(text, part):
    assert part in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Order 1634 has not arrived.",
        "Can I book a Room for 2 on Friday?",
        "My iPhone 15 Pro and Windows 11 both fail.",
        "Gate 7 at Terminal 2, Katie 3 rows behind.",
        "I sent it via Zoom 2 times.",
        "10000 Euros is too much, 12345 Units shipped.",
        "Spring 2024 and Model 3 and Halle 3 and Colgate 2",
        "the rua 12 and calle 5 in lower case text are not streets",
        "Invoice 2023, Chapter 11, Level 3, Version 2.4",
        "Via 5 kg of flour",
        "",
    ],
)
def test_look_alikes_are_not_addresses(text):
    assert _found(text) == []


def test_odd_unicode_and_huge_input_do_not_break_the_patterns():
    assert isinstance(_found("Stra\u00dfe\u200b 12 \U0001f600 Rua 💥 99 \ud7ff\x00"), list)  # must not raise
    text = ("Hauptstraße " * 2000) + "12"
    assert _found(text)  # finds the last one, in bounded time (no catastrophic backtracking)


def test_engine_keeps_the_whole_address_over_ner_pieces(pii_engine):
    text = "Please send it to Rua Augusta, 1508 - Apto 12, 01310-100 São Paulo, thanks"
    findings = pii_engine.analyze(text)
    assert spans(text, findings, "ADDRESS") == ["Rua Augusta, 1508 - Apto 12, 01310-100 São Paulo"]
    assert spans(text, findings, "PERSON") == [] and spans(text, findings, "LOCATION") == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(COUNTRIES)), st.integers(0, 2**32 - 1))
def test_generated_addresses_are_found(country, seed):
    street, postal, _, _ = COUNTRIES[country](random.Random(seed))
    text = f"Hi, my new address is {street}, {postal}. Thanks!"
    found = RECOGNIZER.analyze(text, ["ADDRESS"])
    if country == "US":  # the US shapes are StreetAddressRecognizer's
        return
    start = text.index(street)
    assert any(r.start <= start < r.end for r in found), (country, street)


# --- gazetteer ----------------------------------------------------------------------------


def _places(text, entities=None):
    from gateway.pii.nlp.base import NlpResult

    return [text[r.start : r.end] for r in GAZETTEER.analyze(text, ["LOCATION"], NlpResult("en", entities=entities or ()))]


def test_gazetteer_finds_native_and_multiword_names():
    assert _places("I'm travelling from Göteborg to Rio de Janeiro via the Netherlands.") == [
        "Göteborg", "Rio de Janeiro", "Netherlands",
    ]
    assert _places("Shipped to St. Louis, then U.S.A.") == ["St. Louis", "U.S.A."]


def test_ambiguous_places_need_a_locative_word():
    assert _places("Georgia called me about Florence") == []
    assert _places("I moved to Georgia, near Florence") == ["Georgia", "Florence"]


def test_gazetteer_skips_lower_case_and_email():
    assert _places("paris is lovely, write to Berlin@example.com") == []


def test_gazetteer_wins_over_an_org_reading_of_a_listed_place():
    from gateway.pii.nlp.base import NerSpan, NlpResult

    text = "I live in Jyväskylä now"
    (result,) = GAZETTEER.analyze(text, ["LOCATION"], NlpResult("en", entities=(NerSpan(10, 19, "ORG"),)))
    assert result.score > 0.85


# --- streets with no street type (Czech, Slovak, Norwegian, Estonian forms) -----------------


@pytest.mark.parametrize("text, street", [
    ("My address is Vinohradská 1511/230, 120 00 Praha 2.", "Vinohradská 1511/230"),
    ("Andrea lives at Třebčínská 860, Horka.", "Třebčínská 860"),
    ("Please send it to Husova 5, 110 00 Praha 1", "Husova 5"),  # no cue: the postal code is the evidence
    ("Delivery address: Veslebakken 48, HARSTAD", "Veslebakken 48"),
    ("he moved to Metsanurga 48 last spring", "Metsanurga 48"),
])
def test_a_street_with_no_type_is_found_after_an_address_cue_or_before_a_postal_code(text, street):
    found = [text[r.start:r.end] for r in RECOGNIZER.analyze(text, ["ADDRESS"])]
    assert any(street in span for span in found), found


@pytest.mark.parametrize("text", [
    "Order 1634 has not arrived yet.",
    "Windows 11 keeps asking me to sign in again.",
    "Invoice 2023 and Invoice 2024 show the same amount.",
    "I bought the Galaxy Tab S9 at Alza 5 days ago.",
    "My address changed, Order 77 still goes to the old one.",  # a cue, but no name before the number
    "Gate 7 at Terminal 2 was closed.",
])
def test_capitalised_words_and_a_number_without_a_cue_or_postal_code_are_no_address(text):
    assert RECOGNIZER.analyze(text, ["ADDRESS"]) == []
