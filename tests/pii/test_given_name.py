from gateway.pii.nlp import NerSpan, NlpResult
from gateway.pii.recognizers.en.first_name import GivenNameRecognizer, load_given_names

NAMES = frozenset({"tamara", "zlata", "kayla"})


def _run(text, *spans):
    results = GivenNameRecognizer(NAMES).analyze(text, ["PERSON"], NlpResult("en", entities=spans))
    return [(text[r.start : r.end], r.score) for r in results]


def test_relabels_org_span_starting_with_a_given_name():
    assert _run("Zlata called", NerSpan(0, 5, "ORG")) == [("Zlata", GivenNameRecognizer.RELABEL_SCORE)]


def test_uncovered_given_name_with_surname():
    assert _run("ask Kayla Bengtsson today") == [("Kayla Bengtsson", GivenNameRecognizer.SCORE)]


def test_street_named_after_a_person_is_skipped():
    assert _run("12 Tamara Street") == []


def test_bundled_list_loads_and_excludes_common_words():
    names = load_given_names()
    assert len(names) > 10_000
    assert "maria" in names and "will" not in names and "the" not in names
