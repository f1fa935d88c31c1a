from gateway.pii.nlp.base import NerSpan, NlpResult
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


WORDS = frozenset({"crystal", "fine", "concert", "is", "my", "name", "this"})


def _run_words(text, *spans, names=NAMES | {"natasha", "crystal", "owen", "israel", "chad"}):
    rec = GivenNameRecognizer(names, english_words=WORDS)
    return [(text[r.start : r.end], r.score) for r in rec.analyze(text, ["PERSON"], NlpResult("en", entities=spans))]


def test_title_makes_the_next_capitalised_word_a_name():
    assert _run_words("Mr. Ford is 50. Mr. and Mrs. Smith came.") == [("Ford", 0.9), ("Smith", 0.9)]


def test_title_in_lower_case_message():
    assert ("chad", 0.9) in _run_words("hello, this is mr. chad. who are you?")


def test_cue_relabels_org_span_and_finds_unlabelled_capitalised_name():
    assert _run_words("My name is Jesenko", NerSpan(11, 18, "ORG")) == [("Jesenko", 0.9)]
    assert _run_words("My name is Tempeste") == [("Tempeste", 0.9)]


def test_country_is_not_a_given_name():
    assert "israel" not in load_given_names()
    assert _run_words("I am from Israel", NerSpan(10, 16, "GPE"), names=frozenset({"israel"})) == []


def test_street_named_after_a_person_after_house_number_or_street_word():
    assert _run_words("send it to 07 Celso Emilio Ferreiro 23", names=frozenset({"celso", "emilio"})) == []
    assert _run_words("Via Nazario Sauro 112", names=frozenset({"nazario"})) == []


def test_lower_case_message_names():
    assert _run_words("hi my name is natasha higuchi and i need help") == [("natasha higuchi", 0.6)]
    # A given name that is also an English word needs a strong cue or a surname after it.
    assert _run_words("this is fine, i like crystal glasses", names=frozenset({"fine", "crystal"})) == [
        ("crystal glasses", 0.6)
    ]
    assert _run_words("my name is crystal") == [("crystal", 0.6)]


def test_lower_case_names_only_in_lower_case_messages():
    assert _run_words("Hi, I talked to Anna Lee and natasha said yes.", names=frozenset({"natasha"})) == []
