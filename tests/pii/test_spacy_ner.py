from gateway.pii.nlp.base import NerSpan, NlpResult
from gateway.pii.recognizers.en.spacy_ner import SpacyNerRecognizer


def _run(text, *spans):
    results = SpacyNerRecognizer(supported_language="en").analyze(
        text, ["PERSON", "LOCATION", "ORGANIZATION"], NlpResult("en", entities=spans)
    )
    return sorted((r.entity_type, text[r.start : r.end]) for r in results)


def test_label_mapping():
    text = "Ann Lee of Acme flew to Paris via JFK."
    assert _run(text, NerSpan(0, 7, "PERSON"), NerSpan(11, 15, "ORG"), NerSpan(24, 29, "GPE"), NerSpan(34, 37, "FAC"), NerSpan(0, 3, "DATE")) == [
        ("LOCATION", "JFK"),
        ("LOCATION", "Paris"),
        ("ORGANIZATION", "Acme"),
        ("PERSON", "Ann Lee"),
    ]


def test_greetings_and_address_like_persons_are_dropped():
    text = "Hi, Eusebio Dávila 57"
    assert _run(text, NerSpan(0, 2, "PERSON"), NerSpan(4, 21, "PERSON")) == []


def test_model_finds_a_person(pii_engine):
    text = "Yesterday Jennifer Lawson called about her refund."
    assert "Jennifer Lawson" in [text[f.start : f.end] for f in pii_engine.analyze(text) if f.entity_type == "PERSON"]


def test_person_running_into_next_line_is_trimmed():
    text = "Name: Stephanie Sullivan\nPhone: 021-4006034"
    assert _run(text, NerSpan(6, 30, "PERSON")) == [("PERSON", "Stephanie Sullivan")]


def test_person_in_street_or_company_is_dropped():
    text = "Ship to 87 Rue Joseph Vernet, or Junar Inc, or Marshall Islands"
    spans = (NerSpan(15, 28, "PERSON"), NerSpan(33, 42, "PERSON"), NerSpan(47, 63, "PERSON"))
    assert _run(text, *spans) == []


def test_overlapping_person_findings_are_merged(pii_engine):
    text = "Please correct it to Dr. Jacob van Gameren?"
    persons = [text[f.start : f.end] for f in pii_engine.analyze(text) if f.entity_type == "PERSON"]
    assert persons == ["Jacob van Gameren"]
