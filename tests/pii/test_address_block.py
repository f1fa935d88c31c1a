"""Multi-line postal addresses (`AddressBlockRecognizer`) and the engine's block preference."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.benchmarks.pii_sets.address_blocks import generate_address_blocks
from gateway.benchmarks.pii_sets.addresses import COUNTRIES
from gateway.pii.recognizers.en.address_block import BLOCK_KEY, AddressBlockRecognizer
from gateway.pii.recognizers.en.places import load_places
from tests.pii.conftest import spans

_PLACES = load_places()[0]


@pytest.fixture(scope="module")
def recognizer() -> AddressBlockRecognizer:
    return AddressBlockRecognizer(known_places=_PLACES)


def _parts(recognizer, text: str, entity: str = "ADDRESS") -> list[str]:
    return [text[r.start : r.end] for r in sorted(recognizer.analyze(text, ["ADDRESS", "LOCATION"]), key=lambda r: r.start)
            if r.entity_type == entity]


@pytest.mark.parametrize(
    "text,parts,places",
    [
        # US: number-first street, unit line, "City, ST ZIP"
        ("Thanks,\nEmily Carter\n742 Evergreen Terrace\nApt 4B\nSpringfield, IL 62704\n",
         ["742", "Evergreen Terrace", "Apt 4B", "Springfield, IL 62704"], []),
        # UK: postcode after the city, country line
        ("Send it here:\n221B Baker Street\nLondon NW1 6XE\nUnited Kingdom",
         ["221B", "Baker Street", "London NW1 6XE"], ["United Kingdom"]),
        # DE: glued street type, postcode before the city, quoted reply
        ("On Monday you wrote:\n> Lindenweg 5\n> 10115 Berlin\n> Germany\n", ["Lindenweg 5", "10115 Berlin"], ["Germany"]),
        # NL: postcode with letters, indented
        ("Adres:\n    Keizersgracht 123\n    1015 CJ Amsterdam\n", ["Keizersgracht 123", "1015 CJ Amsterdam"], []),
        # SE: spaced postcode
        ("Hej,\nStorgatan 5\n111 52 Stockholm\nSverige", ["Storgatan 5", "111 52 Stockholm"], ["Sverige"]),
        # FR: number, comma, street type first
        ("Mon adresse :\n62, impasse de la Paix\n84000 Avignon\nFrance", ["62, impasse de la Paix", "84000 Avignon"], ["France"]),
        # ES: unit written inline on the street line
        ("Dirección:\nPaseo de los Reyes Católicos 34, esc. A, 5º D\n29015 Málaga\nEspaña",
         ["Paseo de los Reyes Católicos 34, esc. A, 5º D", "29015 Málaga"], ["España"]),
        # PT/BR: CEP with a hyphen
        ("Endereço:\nRua Augusta 1508\nApto. 31\n01310-100 São Paulo\nBrasil", ["Rua Augusta 1508", "Apto. 31", "01310-100 São Paulo"],
         ["Brasil"]),
        # HU: house number ending in a dot
        ("Kontakt:\nDózsa György út 78.\n1068 Budapest\nHungary", ["Dózsa György út 78.", "1068 Budapest"], ["Hungary"]),
        # NZ: "> " quoting with a blank-free block and a street with no street type but a unit
        ("Please send it to:\n> 12 Harbour View\n> Suite 400\n> Wellington 6011\n", ["12", "Harbour View", "Suite 400", "Wellington 6011"],
         []),
        # US military, lower case, after a colon
        ("send it to: unit 1234 box 5678\ndpo ae 12345 thanks", ["unit 1234 box 5678", "dpo ae 12345"], []),
        # PO box first, then the city line
        ("Ship to:\nPO Box 4411\nSpringfield, IL 62704", ["PO Box 4411", "Springfield, IL 62704"], []),
        # The street at the end of a sentence line, the ZIP code opening the next one
        ("My address is 742 Evergreen Terrace\nSpringfield, IL 62704 thanks", ["742", "Evergreen Terrace", "Springfield, IL 62704"],
         []),
    ],
)
def test_blocks_by_country(recognizer, text, parts, places):
    assert _parts(recognizer, text) == parts
    assert set(places) <= set(_parts(recognizer, text, "LOCATION"))


@pytest.mark.parametrize(
    "text",
    [
        "Here is my order:\nOrder #48213\n2 x Blue Widget 19.99\n1 x USB Cable 5.49\nSubtotal 25.48\nTotal 25.48",
        "Order summary\n2 Large Pizzas 12\nGarlic Bread 3\nTotal 45\nOrder 12345",
        "We still need:\n12 Packing Tape\n40 Desk Lamp\n3 Coffee Beans\nThanks",
        "Items:\n3 Blue Widgets\n5 Red Widgets\n12 Screws",
        "Tracking says:\nDate        Status             Parcel\n2024-05-01  Label created      1 of 3\n"
        "2024-05-02  In transit         2 of 3",
        "Tracking:\nParcel 1 of 3\nBerlin 10115\nStatus delivered",
        "What I did:\nStep 1 Open Settings\nStep 2 Tap Account 3\nStep 3 Restart\nVersion 8.5 still crashes",
        "Qty 2 Blue Widgets\n3 Red Widgets 12\nTotal 15\n10115",
        "Windows 11\nOffice 2021\nTeams 1.6",
        "Room 12\nFloor 3",
        "",
        "\n\n\n",
        "no digits\nat all\nhere",
    ],
)
def test_multi_line_look_alikes_are_not_addresses(recognizer, text):
    assert recognizer.analyze(text, ["ADDRESS", "LOCATION"]) == []


def test_sign_off_after_a_blank_line_is_not_part_of_the_block(recognizer):
    text = "> 12 Harbour View Road\n> Suite 400\n> Wellington 6011\n> New Zealand\n\nThanks"
    found = _parts(recognizer, text) + _parts(recognizer, text, "LOCATION")
    assert "Thanks" not in found and "Wellington 6011" in found


def test_every_part_carries_the_block_extent(recognizer):
    text = "x\n742 Evergreen Terrace\nSpringfield, IL 62704\n"
    results = recognizer.analyze(text, ["ADDRESS", "LOCATION"])
    extents = {r.recognition_metadata[BLOCK_KEY] for r in results}
    assert extents == {(2, text.index("62704") + 5)}


def test_odd_unicode_and_huge_input_do_not_break_it(recognizer):
    assert recognizer.analyze("\u200b\n" * 5000 + "１２ Ｍａｉｎ", ["ADDRESS"]) == []
    block = "Lindenweg 5\n10115 Berlin\n"
    text = "ok\n" * 20000 + block
    assert _parts(recognizer, text) == ["Lindenweg 5", "10115 Berlin"]


# --- the engine: block parts survive spaCy's readings and merge with nothing ------------


def test_engine_reports_the_parts_even_when_the_model_calls_the_block_an_organisation(pii_engine):
    text = "Hi,\nplease ship it to\n\n12 Harbour View Road\nSuite 400\nWellington 6011\nNew Zealand\n\nThanks"
    findings = pii_engine.analyze(text, language="en")
    address = spans(text, findings, "ADDRESS")
    assert address == ["12", "Harbour View Road", "Suite 400", "Wellington 6011"]
    # No model span runs over the block's line breaks.
    assert not [f for f in findings if "\n" in text[f.start : f.end]]
    assert spans(text, findings, "LOCATION") == ["New Zealand"]


def test_engine_drops_a_single_line_match_that_ran_into_the_name_line(pii_engine):
    text = "Best regards,\nAnna Schmidt\nLindenweg 5\n10115 Berlin\nGermany"
    findings = pii_engine.analyze(text, language="en")
    assert spans(text, findings, "ADDRESS") == ["Lindenweg 5", "10115 Berlin"]
    assert "Anna Schmidt" in spans(text, findings, "PERSON")


def test_engine_block_parts_cover_every_address_line(blank_engine):
    text = "Send to:\n> 742 Evergreen Terrace\n> Apt 4B\n> Springfield, IL 62704\n"
    findings = blank_engine.analyze(text, language="en")
    covered = {i for f in findings for i in range(f.start, f.end)}
    for line in ("742 Evergreen Terrace", "Apt 4B", "Springfield, IL 62704"):
        start = text.index(line)
        assert all(i in covered or text[i] == " " for i in range(start, start + len(line))), line


# --- generated blocks ------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), layout=st.sampled_from(["", "> ", "    ", ">> ", "\t"]),
       country=st.sampled_from(sorted(COUNTRIES)))
def test_generated_blocks_are_found_line_by_line(recognizer, seed, layout, country):
    rng = random.Random(seed)
    street, postal, _city, country_name = COUNTRIES[country](rng)
    lines = [street, postal, country_name]
    text = "Hello,\nmy new address:\n" + "".join(f"{layout}{line}\n" for line in lines) + "Thanks"
    found = recognizer.analyze(text, ["ADDRESS", "LOCATION"])
    street_at = text.index(street)
    postal_at = text.index(postal, street_at)
    # The street line and the postal line each hold an ADDRESS part, and nothing is found
    # outside the block's lines.
    assert any(r.entity_type == "ADDRESS" and street_at <= r.start < street_at + len(street) for r in found), text
    assert any(r.entity_type == "ADDRESS" and postal_at <= r.start < postal_at + len(postal) for r in found), text
    block_end = text.index("Thanks")
    assert all(street_at <= r.start and r.end <= block_end for r in found), text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_generated_look_alikes_have_no_address(recognizer, seed):
    for sample in generate_address_blocks(random.Random(seed), 20):
        if not sample["spans"]:
            assert recognizer.analyze(sample["full_text"], ["ADDRESS", "LOCATION"]) == [], sample["full_text"]
