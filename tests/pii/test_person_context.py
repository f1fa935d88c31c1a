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
        ("The Davis, Reynolds and Williamson office is at 56 Rue de Libya", "Reynolds"),  # a sentence, no street
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
        ("We relocated from Querétaro to Rotterdam in March.", "Rotterdam"),
        ("The package is stuck at the depot in Braga.", "Braga"),
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
        ("I forwarded the e-mail from Anna to Tom.", "Tom"),
    ],
)
def test_bare_prepositions_and_possessives_keep_the_person(text, word):
    assert not in_place_context(*_at(text, word))


_WORD = st.from_regex(r"\A[A-Z][a-z]{2,9}\Z", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(street=_WORD, town=_WORD, number=st.integers(1, 1899))  # a year-like number is a date
def test_any_town_after_street_and_number_is_a_locality(street, town, number):
    text = f"I live at {street}gasse {number}, {town}"
    assert in_address_context(text, len(text) - len(town), len(text))


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


# --- name_context: constructions that make a word a person --------------------------------

from gateway.pii.recognizers.en.name_context import contextual_names, firm_lists, list_members  # noqa: E402

_GIVEN = frozenset({"anna", "mark", "kaylee", "eero", "takeshi", "ananya", "tom", "ben", "maite", "priya"})
_ENGLISH = frozenset(
    {"customer", "support", "sales", "lost", "the", "thanks", "team", "billing", "bank", "mango", "marketing", "legal"}
)


def _is_name(word: str) -> bool:
    return word.lower().rstrip("'’s") in _GIVEN or word.lower() in _GIVEN


class _Model:
    def __init__(self, text, word, label):
        self.start = text.index(word)
        self.end = self.start + len(word)
        self.label = label


def _context(text, *model, lower=False):
    found = contextual_names(text, list(model), _is_name, _ENGLISH, lower=lower)
    return [(text[s:e], rule) for s, e, rule in found]


@pytest.mark.parametrize(
    "text,name,rule",
    [
        ("As promised, here's Gregorina's address:", "Gregorina", "possessive"),
        ("I'm Hleb's daughter", "Hleb", "possessive"),
        ("Please send the code to Takeshi's phone.", "Takeshi", "possessive"),
        ("my son Lakshmi lost his card", "Lakshmi", "kin"),
        ("Thanks for the fix!\n\nBest regards,\nHaruto Watanabe", "Haruto Watanabe", "signoff"),
        ("That works.\nCheers, Ananya", "Ananya", "signoff"),
        ('"We are moving in that direction," says Yudina.', "Yudina", "quoted_speaker"),
        ('"It shipped on Monday," Mehmet Çelik told me.', "Mehmet Çelik", "quoted_speaker"),
        ("The card is registered as Heikkinen, Eero.", "Heikkinen, Eero", "last_first"),
        ("Account holder: Chatterjee, Siddharth", "Chatterjee, Siddharth", "last_first"),
    ],
)
def test_context_makes_a_person(text, name, rule):
    assert (name, rule) in _context(text)


@pytest.mark.parametrize(
    "text",
    [
        "Please check Netflix's account again.",  # a company's account (the model's ORG)
        "my son lost his card",  # "lost" is a word, not a name
        "Thanks,\nCustomer Support",
        "Best regards,\nThe Billing Team",
        "We ship to Leeds, Kent and Bath.",  # no pair: a list
        "The tickets are for Lakshmi Iyer, Maite Olabarrieta and Tom.",  # no pair inside a list
    ],
)
def test_look_alikes_of_those_constructions(text):
    model = [_Model(text, "Netflix", "ORG")] if "Netflix" in text else []
    assert [r for r in _context(text, *model) if r[1] != "quoted_speaker"] == []


def test_possessive_is_not_part_of_the_name():
    assert _context("I'm Mary's daughter") == [("Mary", "possessive")]
    assert _context("I\\'m Mary\\'s daughter") == [("Mary", "possessive")]  # text pasted from code


def _members(text, persons=(), lower=False):
    return [text[s:e] for s, e, _ in list_members(text, list(persons), _is_name, _ENGLISH, lower=lower)]


def test_a_person_in_a_list_makes_every_member_one():
    text = "They had 6: Malon, Mark, Kaylee and Brandi."
    assert _members(text) == ["Malon", "Mark", "Kaylee", "Brandi"]
    text = "Schiavone and Livingston were precision engineers."
    start = text.index("Livingston")
    assert _members(text, [(start, start + 10)]) == ["Schiavone", "Livingston"]


def test_a_people_noun_before_a_list_makes_its_members_people():
    assert _members("our 3 founders: Kovalev, Lee and Phillips.") == ["Kovalev", "Lee", "Phillips"]
    assert _members("Attendees: Ludovica, Okafor, Maël Lécuyer") == ["Ludovica", "Okafor", "Maël Lécuyer"]
    assert _members("our 3 founders: chaussée, blair and parks.", lower=True) == ["chaussée", "blair", "parks"]


def test_lists_without_a_person_or_of_words_stay_empty():
    assert _members("Capitalized words like Wisdom and Discipline are often mistaken with names.") == []
    assert _members("Anna and Sales both replied.") == []  # a word in it: a list of things
    assert _members("My order from Zara, Mango and Uniqlo never arrived.") == []
    assert _members("Attendees: Sales, Marketing and Legal") == []
    # Lower case: a member is a name on its own (no two-word members, no English words).
    assert _members("i spoke to tom yesterday and she said it was fixed", lower=True) == []


@pytest.mark.parametrize(
    "text,firm",
    [
        ("The Jones, Mitchell and Williams office is at 87 Rua Nova", "Jones, Mitchell and Williams"),
        ("Davis, Reynolds and Williamson is the brainchild of our founders", "Davis, Reynolds and Williamson"),
        ("we'll meet sunday at Craig, Palmer and Quinn, 80 P.O. Box 15", "Craig, Palmer and Quinn"),
        ("Jennifer Gyarmaty\nGraham, Ochoa and Vasquez\nGrolmanstraße 25", "Graham, Ochoa and Vasquez"),
        ("I bought it at Marks & Spencer is what I mean", "Marks & Spencer"),
    ],
)
def test_surname_lists_that_name_a_firm(text, firm):
    assert [text[s:e] for s, e in firm_lists(text)] == [firm]


@pytest.mark.parametrize(
    "text",
    [
        "our 3 founders: Kovalev, Lee and Phillips.",
        "cc Anna, Tom and Ben on the reply",
        "Anna Lee and Tom Ford were there.",
    ],
)
def test_people_lists_are_not_firms(text):
    assert firm_lists(text) == []


_NAME = st.from_regex(r"\A[A-Z][a-z]{3,8}\Z", fullmatch=True).filter(lambda w: w.lower() not in _GIVEN)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(_NAME, min_size=2, max_size=5, unique=True))
def test_any_list_with_one_given_name_is_all_people(names):
    members = [*names, "Anna"]
    text = "Please add " + ", ".join(members[:-1]) + " and " + members[-1] + " to the plan."
    assert _members(text) == members


@pytest.mark.parametrize(
    "text,names",
    [
        ("The tickets are for Lakshmi Raghunathan, Maite Olabarrieta and Mehmet Aydın.",
         ["Lakshmi Raghunathan", "Maite Olabarrieta", "Mehmet Aydın"]),
        ("Attendees: Ludovica, Eero, Maël Lécuyer", ["Ludovica", "Eero", "Maël Lécuyer"]),
        ("Is there a better crafted pop song on this list? Schiavone and Livingston were precision engineers.",
         ["Schiavone", "Livingston"]),
    ],
)
def test_engine_reports_each_member_of_a_list(pii_engine, text, names):
    assert spans(text, pii_engine.analyze(text), "PERSON") == names


@pytest.mark.parametrize(
    "text",
    [
        "The Jones, Mitchell and Williams office is at 87 R Nossa Senhora Graça 7",
        "Davis, Reynolds and Williamson is the brainchild of our 3 founders.",
    ],
)
def test_engine_reports_no_person_in_a_firm_name(pii_engine, text):
    assert not any(w in text[:40] for w in spans(text, pii_engine.analyze(text), "PERSON"))


def test_engine_keeps_a_last_first_pair_whole(pii_engine):
    text = "Name: Heikkinen, Eero\nOrder: 40412"
    assert spans(text, pii_engine.analyze(text), "PERSON") == ["Heikkinen, Eero"]


def test_list_evidence_and_what_breaks_it():
    # Two given names: every member, a word too.
    assert _members("They had 6: Victor, Andrew, Evan, Mark and April.", lower=False)[-1] == "April"
    # A lone model PERSON among companies is the model's error.
    text = "home city Jaboticabal: Intelius, Caresetcom and Evidera."
    start = text.index("Evidera")
    assert _members(text, [(start, start + 7)]) == []
    # A company in the list, or the list coordinated with an address: no people.
    assert _members("Merrill Lynch, Arrive Labs and Anna") == []
    assert _members("Please return to Lauren and Sorlaskeid 32 in case of an issue.") == []


@pytest.mark.parametrize(
    "text,names",
    [
        ('Kalman: \\"Who are you?\\"\nJordan:\\"I\\\'m Mary\\\'s daughter\\".', ["Kalman", "Jordan", "Mary"]),
        ('luis: \\"who are you?\\"\ncarol:\\"i\\\'m lindsay\\\'s daughter\\".', ["luis", "carol", "lindsay"]),
    ],
)
def test_transcript_speakers_pasted_from_code(pii_engine, text, names):
    found = spans(text, pii_engine.analyze(text), "PERSON")
    assert all(n in found for n in names), found


def test_agent_and_note_labels_are_no_speakers(pii_engine):
    text = "Agent: How can I help?\nNote: the card was charged twice\nPriya: \"Thanks\""
    assert spans(text, pii_engine.analyze(text), "PERSON") == ["Priya"]


def test_a_street_or_station_is_no_person(pii_engine):
    for text in ("Is the Victoria Station pickup point still open?", "shows on Anderson Street were important"):
        assert spans(text, pii_engine.analyze(text), "PERSON") == []


def test_a_company_joined_to_an_address_is_part_of_it_and_keeps_no_possessive(pii_engine):
    text = "I'd like to call a taxi to Ivan and Via Scala 50. Please call me."
    assert spans(text, pii_engine.analyze(text), "PERSON") == []
    text = "the verses from Jeremy Oohara's Cautionary Tales"
    found = pii_engine.analyze(text)
    assert "Jeremy Oohara" in spans(text, found, "PERSON")
    assert not any("Oohara" in s for s in spans(text, found, "ORGANIZATION"))


@pytest.mark.parametrize(
    "text,names",
    [
        ("I'm so jealous! said Mai to Jerry", ["Mai", "Jerry"]),
        ("cc Tariq Haddad and Haruto Watanabe on every reply please.", ["Tariq Haddad", "Haruto Watanabe"]),
        ("First name: Beatrice\nLast name: D'Alessandro\nCountry: Georgia", ["Beatrice", "D'Alessandro"]),
        ("She was born on 2/7/1961. Her maiden name is McCathie", ["McCathie"]),
        ("i spoke to thomas yesterday and she said it was fixed", ["thomas"]),
        ("the account is under oliver thompson", ["oliver thompson"]),
        ("my name is mieszko", ["mieszko"]),
    ],
)
def test_names_joined_cued_or_addressed(pii_engine, text, names):
    assert spans(text, pii_engine.analyze(text), "PERSON") == names


@pytest.mark.parametrize("text", ["My name is spelled wrong on the invoice.", "my name is spelled wrong"])
def test_inflected_words_after_a_cue_are_no_names(pii_engine, text):
    assert spans(text, pii_engine.analyze(text), "PERSON") == []


from gateway.pii.recognizers.en.name_rules import company_word_follows, organisation_line  # noqa: E402


def _line_span(text, words):
    start = text.index(words)
    return start, start + len(words)


@pytest.mark.parametrize(
    "text,person,company",
    [
        ("??? Dr. Brenda Eldarkhanov\n??? Becker-Shaffer\n??? 09 Avenue des Sartiaux 318", "Brenda Eldarkhanov",
         "Becker-Shaffer"),
        ("Michael Fleischer\nBenefits manager\nSoul Sounds Unlimited\n63 Ommerweg 159 Suite 287", "Michael Fleischer",
         "Soul Sounds Unlimited"),
    ],
)
def test_the_line_between_a_name_and_a_street_is_the_company(text, person, company):
    assert organisation_line(text, *_line_span(text, company), [_line_span(text, person)])


def test_a_second_person_after_a_company_line_stays_a_person():
    text = ">Tara Martinez\n>Nera Economic Consulting\n>Morgan Zimmer\n>48 109 Xanthou Street"
    persons = [_line_span(text, "Tara Martinez"), _line_span(text, "Morgan Zimmer")]
    assert not organisation_line(text, *_line_span(text, "Morgan Zimmer"), persons)
    assert company_word_follows(text, _line_span(text, "Nera Economic")[1])
    # One line, no address below: nothing to say.
    text = "Anna Smith\nTom Jones"
    assert not organisation_line(text, *_line_span(text, "Tom Jones"), [_line_span(text, "Anna Smith")])


def test_a_name_inside_a_model_misreading_after_a_sentence_word_or_addressee_verb(pii_engine):
    text = "Lorenzo Colombo handled my ticket. Yesterday Colombo wrote that it was closed."
    assert spans(text, pii_engine.analyze(text), "PERSON") == ["Lorenzo Colombo", "Colombo"]
    text = "Please cc Võ Minh Nguyễn on the reply, she handles our account."
    assert spans(text, pii_engine.analyze(text), "PERSON") == ["Võ Minh Nguyễn"]


@pytest.mark.parametrize(
    "text,firm",
    [
        ("Is Marks & Spencer open on Sunday?", "Marks & Spencer"),
        ("Johnson & Johnson products are out", "Johnson & Johnson"),
    ],
)
def test_two_words_joined_by_ampersand_are_a_firm_unless_both_are_given_names(text, firm):
    assert [text[s:e] for s, e in firm_lists(text, is_name=_is_name)] == [firm]
    assert firm_lists("cc Anna & Tom please", is_name=_is_name) == []


def test_team_sign_offs_are_no_person(pii_engine):
    text = "Dear customer,\nthanks for writing.\nBest regards,\nAcme Support"
    assert spans(text, pii_engine.analyze(text), "PERSON") == []


def test_a_pair_the_model_reads_as_one_company_stays_one(pii_engine):
    text = "Is Marks & Spencer open on Sunday?"
    found = pii_engine.analyze(text)
    assert "Marks" not in spans(text, found, "PERSON")
    assert spans(text, found, "ORGANIZATION") == ["Marks & Spencer"]


def test_a_country_in_its_own_language_is_no_person(pii_engine):
    text = "I live at Piazzale Marconi 56, 00184 Roma (Italia)."
    found = pii_engine.analyze(text)
    assert spans(text, found, "PERSON") == []
