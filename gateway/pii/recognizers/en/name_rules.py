"""Shared evidence for English PERSON recognition: cues, titles, countries, address context.

Used by `SpacyNerRecognizer` (to drop model PERSON spans that sit in a postal address) and
`GivenNameRecognizer` (to add names the small model misses). Everything here is a cheap
regular expression or set look-up: no extra model pass.

* *Titles* ("Mr.", "Mrs", "Dr.", "Prof.") are followed by a name in customer text ("Mr.
  Ford called"), whatever the word: "Ford", "Young" and "White" are names after a title.
* *Introduction cues* ("my name is", "this is", "call me", "Dear", "name:", "user:") are
  followed by a name. spaCy's small model often labels an unusual name there as ORG or GPE
  ("My name is Jesenko" → ORG); after a cue it is a PERSON.
* *Countries*: gender-guesser's list holds given names that are also countries ("Israel",
  "Kenya", "India", "Argentina", "Mali"). A bare country name is far more often the country,
  so these never become PERSON through the name list (spaCy may still call them PERSON).
* *Address context*: a name-like span right after a house number ("07 Celso Emilio Ferreiro
  23") or a street word ("Via Nazario Sauro", "Rue Joseph Vernet", "ul. Posejdona") is a
  street named after a person, not a person the customer mentions.
"""

from __future__ import annotations

import regex

# Honorifics that precede a name. The dot is optional ("Mr Smith", "Dr. Lee"). English and
# the forms customers of other languages write in English text ("Herr Müller", "Sra. Ñúñez",
# "Mme Lefèvre"), any case; abbreviations that are also words or letters only as written
# ("M. Dupont" with its dot, "Sr." but not "sr", "Sig.ra", "Dott.").
_TITLE_ANY_CASE = (
    r"mr|mrs|ms|mx|miss|dr|prof|mister|doctor|professor|herr|frau|fräulein|señor|señora|señorita|"
    r"senhor|senhora|signor|signora|signorina|monsieur|madame|mademoiselle|mme|mlle|sra|srta|mevrouw|meneer|sir|madam"
)
_TITLE_CASED = r"(?-i:Sig\.ra|Sig\.na|Sig|Dott\.ssa|Dott|Sr|Dña|Doña|Dona|Dhr|Mevr|Fr|Hr|M(?=\.))"
TITLE = rf"(?:{_TITLE_CASED}|{_TITLE_ANY_CASE})"
# Title words, lower-case, without dots: never a PERSON on their own ("Mme", "Sig", "Herr").
TITLE_WORDS = frozenset(
    _TITLE_ANY_CASE.split("|") + "sig sig.ra sig.na dott dott.ssa sr dña doña dona dhr mevr fr hr".split()
)
# Introduction cues: the next word(s) are a name. Kept to phrasings that introduce a
# person; "this is" is followed by a name only when the name is capitalised or known.
_CUE = (
    r"(?:my|his|her|their|the|account|partner'?s|holder'?s|maiden|full|first|last|sur|user)?\s*"
    r"(?:name(?:\s+is|\s+was|\s*:)|i\s*'?\s*m|i\s+am|this\s+is|call\s+me|calls\s+me|called\s+me|"
    r"named|dear|user\s*:|customer\s*:|signed|speak\s+(?:to|with)|ask\s+for|attention\s*:|attn\s*:?|"
    r"holder\s*:|registered\s+(?:as|to|under)|in\s+the\s+name\s+of|under\s+the\s+name(?:\s+of)?)"
)

# Cues strong enough to make an everyday word a name ("my name is crystal", "call me hunter");
# "this is fine" and "i'm fine" are not introductions.
_STRONG_CUE = (
    r"(?:name(?:\s+is|\s+was|\s*:)|call\s+me|calls\s+me|called\s+me|named(?:\s+(?:him|her|them|me|us))?|dear|"
    r"user\s*:|customer\s*:|"
    r"(?:account|booking|order|reservation|subscription|card)\s+is\s+(?:under|in\s+the\s+name\s+of))"
)
# A capitalised name word: "Anna", "Müller-Lüdenscheidt", "McKenzie", "O'Brien", "D'Alessandro";
# never the possessive ending ("Anna's" → "Anna").
NAME_WORD = r"(?:(?:Mc|Mac|O['’]|D['’])(?=\p{Lu}))?\p{Lu}\p{Ll}+(?:['’](?!s\b)\p{Ll}+)?(?:-\p{Lu}?\p{Ll}+)*"

# A cue or a title right before position `start` (only whitespace/punctuation in between).
CUE_BEFORE = regex.compile(rf"(?i)(?<![\p{{L}}'’])(?:{_CUE}|{TITLE}\.?)[\s,:\"'“]*$")
STRONG_CUE_BEFORE = regex.compile(rf"(?i)(?<![\p{{L}}'’])(?:{_STRONG_CUE}|{TITLE}\.?)[\s,:\"'“]*$")
# A title at the start of a span ("Mme. Lefèvre" read whole by spaCy).
LEADING_TITLE = regex.compile(rf"(?i){TITLE}\.?[ \t]+")
# A title and the following one to three name words (capitalised, or any case after a title
# in lower-case text). Group "name" is the name without the title.
TITLE_NAME = regex.compile(
    rf"(?i)(?<![\p{{L}}'’]){TITLE}\.?[ \t]+"
    r"(?P<name>(?!" + TITLE + r"\b)(?-i:[\p{L}][\p{L}'’-]*)(?:[ \t]+(?-i:(?:van|von|de|der|den|da|di|del|la|le|du|al|el|bin|ibn)[ \t]+){0,2}"
    r"(?!" + TITLE + r"\b)(?-i:\p{Lu}[\p{L}'’-]*)){0,2})"
)

# Words that start a street name in many languages ("Via Nazario Sauro", "Rue Joseph
# Vernet", "Avenida Otoniel Dutra", "ul. Posejdona", "C/ Manuel Iradier").
_STREET_PREFIX = (
    r"(?:via|viale|vicolo|piazza|corso|rua|r|travessa|avenida|avda|av|ave|alameda|calle|c/|carrer|"
    r"paseo|plaza|camino|carretera|rue|place|boulevard|bd|bvd|allée|chemin|quai|impasse|"
    r"ul|ulica|aleja|vila|zona|estrada|largo|praça|strada|st|saint|san|santa|santo|sankt|"
    r"calea|bulevardul|odos|leoforos|λεωφόρος|οδός|αγ|são|sao|new|port|fort|mount|mt|porto|puerto|villa|ciudad)"
)
# Just before the span: a house number ("87 ", "12B ") or a street prefix word.
ADDRESS_BEFORE = regex.compile(
    rf"(?i)(?:(?<![\p{{L}}\d,.:/-])\d{{1,5}}[a-z]?(?:[ \t]+\p{{Lu}}\p{{Ll}}+)?|(?<![\p{{L}}]){_STREET_PREFIX}\.?)[ \t]+$"
)
# Just after the span: street types written after the name ("Erzsébet tér", "Gordon Street").
ADDRESS_AFTER = regex.compile(
    r"(?i)[ \t]*(?:street|st\b|road|rd\b|avenue|ave\b|lane|drive|way\b|boulevard|blvd|"
    r"tér|utca|út|útja|körút|strasse|straße|str\b|gasse|weg\b|straat|laan|plein|vej|gade|gatan|vägen|"
    r"tie\b|katu|polku|ulica|ulice)"
)

# Sovereign states and a few territories (English short names, lower-case). Several are
# also given names in gender-guesser's list.
COUNTRIES = frozenset(
    """afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan
    bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana
    brazil brunei bulgaria burundi cambodia cameroon canada chad chile china colombia comoros congo
    croatia cuba cyprus czechia denmark djibouti dominica ecuador egypt eritrea estonia eswatini
    ethiopia fiji finland france gabon gambia georgia germany ghana greece grenada guatemala guinea
    guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica
    japan jordan kazakhstan kenya kiribati kosovo kuwait kyrgyzstan laos latvia lebanon lesotho
    liberia libya liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali malta
    mauritania mauritius mexico micronesia moldova monaco mongolia montenegro morocco mozambique
    myanmar namibia nauru nepal netherlands nicaragua niger nigeria norway oman pakistan palau
    palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa
    senegal serbia seychelles singapore slovakia slovenia somalia spain sudan suriname swaziland
    sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey
    turkmenistan tuvalu uganda ukraine uruguay uzbekistan vanuatu venezuela vietnam yemen zambia
    zimbabwe greenland aruba bermuda anguilla gibraltar macau macao curacao guam martinique
    reunion mayotte tokelau niue montserrat
    italia españa espana deutschland brasil méxico polska sverige norge danmark suomi nederland
    schweiz suisse svizzera österreich hellas türkiye magyarország česko românia hrvatska srbija
    slovensko slovenija éire portugal""".split()
)
# Multi-word countries whose words are also given names ("Marshall Islands", "Sri Lanka").
COUNTRY_WORDS = frozenset("islands island lanka trinidad tobago faso verde leone rica salvador arabia".split())
# Last words that make a capitalised phrase a place or a company, not a person.
PLACE_OR_COMPANY_TAIL = frozenset(
    """islands island heights park hills beach bay city town village county valley springs falls
    inc ltd llc plc corp corporation co company gmbh ag sa srl bv group associates partners
    holdings systems research consulting labs technologies solutions services bank insurance
    international foundation university college school hospital clinic club
    street road avenue lane drive boulevard station square bridge airport terminal harbour harbor
    pier mall plaza centre center tower towers gardens estate quay
    support team care helpdesk desk department billing sales staff""".split()
)
# Nationality adjectives that are also given names ("a nice new Thai place").
NATIONALITIES = frozenset("thai german french irish indian israeli chinese dutch swiss danish polish".split())


# The span itself opens with a street or place word ("Rua Katumi Kida", "San Luis").
_STREET_FIRST = regex.compile(rf"(?i){_STREET_PREFIX}\.?[ \t]")

_MONTHS = (
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|"
    r"august|september|october|november|december"
)
# The locality of an address line: after "<street> <number>, " or "<street type>, " on the
# same line ("98 Grote Baan 477, Kaster", "Király u. 23., Tiszabög", "14 Florence Road, Leeds").
# Not after a date ("12 May 2020, John") or a year.
LOCALITY_BEFORE = regex.compile(
    rf"(?i)(?:(?<![\p{{L}}])(?!(?:{_MONTHS})\.?[ \t])\p{{L}}[\p{{L}}'’-]*\.?[ \t]+(?!(?:19|20)\d\d\b)\d{{1,5}}[a-z]?\.?"
    r"|(?<![\p{L}])(?:street|st|road|rd|avenue|ave|av|sq|square|lane|ln|drive|way|blvd|boulevard|parkway|pkwy|"
    r"place|pl|court|ct|terrace|crescent|close|straße|strasse|str|gasse|weg|vej|gatan|katu|utca|ulica))[ \t]*,[ \t]*$"
)
# A place word or form label right before the span ("home city Wassenaar", "City: Regina",
# "Country: Jordan", "born in", "Ship to: …"), or a verb of travel or residence before its
# preposition ("we moved from Eugene", "I am in Larnaka", "arrived at Cookstown"). A bare
# "from"/"to"/"at" is not enough: "an e-mail from Anna", "send it to Tom".
PLACE_BEFORE = regex.compile(
    r"(?i)(?:(?<![\p{L}])(?:city|town|village|capital|province|county|municipality|region|district|suburb|"
    r"state|country|hometown|birthplace|place\s+of\s+birth|born\s+in|nationality|citizenship|destination|"
    r"origin|location|locality|street|avenue|road)(?:[ \t]+of)?[ \t]*:?"
    r"|(?<![\p{L}])(?:ship(?:ping)?[ \t]+to|deliver(?:y)?[ \t]+to|send[ \t]+to|address|postcode|zip)[ \t]*:"
    r"|(?<![\p{L}])(?:moved|moving|move|relocated|relocating|emigrated|flew|flying|fly|flights?|travel(?:l?ed|l?ing)?|"
    r"drove|driving|commut(?:e|es|ed|ing)|i'?m|i[ \t]+am|we'?re|we[ \t]+are|live[sd]?|living|based|located|"
    r"stay(?:ed|ing|s)?|landed|arrived|arriving|arrive|year|years|months?|weeks?|here|currently|trip|holiday|vacation|"
    r"depot|warehouse|hub|store|shop|branch|hotel|facility)"
    r"(?:[ \t]+(?:here|back|away|over|there|now|currently))?[ \t]+(?:from|to|in|into|at)"
    # The second place of a move: "we relocated from Querétaro to Rotterdam".
    r"|(?<![\p{L}])(?:moved|moving|relocated|relocating|emigrated|flew|flying|travel(?:l?ed|l?ing)?|drove|driving)"
    r"(?:[ \t]+(?:here|back|away|over))?[ \t]+from[ \t]+\p{Lu}[\p{L}'’-]*(?:[ \t]+\p{Lu}[\p{L}'’-]*){0,2}[ \t]+to)[ \t]+$"
)
# Coordinated with an address ("Please return to Eloise and 226 Thomas Avenue", "Ries and
# Κασνέτη 290"): the span is part of it. The conjunct is a house number, a post box, a street
# word, or capitalised words and a number that is no count ("Anna and Ben 2 years ago").
_COUNT_NOUN = (
    r"(?i:years?|yrs?|days?|weeks?|months?|hours?|hrs?|minutes?|mins?|times?|tickets?|items?|people|persons?|"
    r"kids?|children|others?|more|of|pm|am|x|euros?|dollars?|pounds?)\b|%"
)
# Words of a sentence, not of a street name ("and Williamson office is at 56 …" is no address).
_SENTENCE_WORD = (
    r"(?i:is|are|was|were|be|been|has|have|had|at|in|on|of|the|a|an|to|for|by|with|from|and|or|my|our|your|"
    r"his|her|their|its|office|offices|lives?|moved|will|would|can|could|got|gets|paid|bought)"
)
_AND_ADDRESS = regex.compile(
    rf"[ \t]+(?i:and|&)[ \t]+(?:\d{{1,5}}[a-z]?[ \t]+(?:\p{{Lu}}|\d)|(?i:p\.?[ \t]?o\.?[ \t]+box)"
    rf"|(?i:{_STREET_PREFIX})\.?[ \t]+\p{{Lu}}"
    rf"|\p{{Lu}}\S*(?:[ \t]+(?!{_SENTENCE_WORD}\b)\S+){{0,3}}?[ \t]+\d{{1,5}}[a-z]?\b(?![ \t]*(?:{_COUNT_NOUN})))"
)


def and_address(text: str, end: int) -> bool:
    """An "and" and a street address follow `end` ("Eloise and 226 Thomas Avenue")."""
    return _AND_ADDRESS.match(text, end, end + 60) is not None


def in_address_context(text: str, start: int, end: int) -> bool:
    """True when [start, end) reads as a street or place name: after a house number or a
    street word, opening with one, before a street type, the locality after a street and
    number, coordinated with an address."""
    before = text[max(0, start - 3) : start].rstrip(" \t")
    return bool(
        ADDRESS_BEFORE.search(text, max(0, start - 14), start)
        or _STREET_FIRST.match(text, start, end)
        or ADDRESS_AFTER.match(text, end, end + 12)
        or (before.endswith(",") and LOCALITY_BEFORE.search(text, max(0, start - 40), start))
        or _AND_ADDRESS.match(text, end, end + 60)
    )


def in_place_context(text: str, start: int, end: int) -> bool:
    """True when [start, end) is where a place goes: after a place word or form label, or a
    verb of travel or residence and its preposition. A possessive ("at Anna's") is a person."""
    if text.startswith(("'s", "’s"), end):
        return False
    before = text[max(0, start - 40) : start].rstrip(" \t")
    last = before.rsplit(None, 1)[-1].lower() if before else ""
    if not (last.endswith(":") or last in _PLACE_LAST_WORDS):
        return False  # a cheap look at the word before, so the pattern runs on few spans
    return PLACE_BEFORE.search(text, max(0, start - 60), start) is not None


# The last word before a span that `PLACE_BEFORE` can end with (besides a label's colon).
_PLACE_LAST_WORDS = frozenset(
    """from to in into at of city town village capital province county municipality region district
    suburb state country hometown birthplace nationality citizenship destination origin location
    locality street avenue road""".split()
)


def place_or_company(span: str) -> bool:
    """A capitalised phrase that is a country or ends with a place/company word."""
    words = span.lower().replace(".", " ").split()
    return bool(words) and (
        " ".join(words) in COUNTRIES
        or words[-1] in PLACE_OR_COMPANY_TAIL
        or any(w in COUNTRY_WORDS for w in words)
    )


_NEXT_WORD = regex.compile(r"[ \t]+(\p{L}+)")


def company_word_follows(text: str, end: int) -> bool:
    """The next word is a company or place word ("Nera Economic Consulting", "Buena Vista
    Gardens"): the words before it are that company's or place's name."""
    m = _NEXT_WORD.match(text, end, end + 30)
    return m is not None and m.group(1)[:1].isupper() and m.group(1).lower() in PLACE_OR_COMPANY_TAIL


_LINE_PREFIX = regex.compile(r"[^\p{L}\d\n]*")
# A line that opens a street address: a number, a post box, a unit, a street word.
_STREET_LINE = regex.compile(
    rf"(?i)(?:\d|p\.?[ \t]?o\.?[ \t]*box|psc\b|unit\b|suite\b|apt\b|box\b|{_STREET_PREFIX}\.?[ \t])"
)
# A job title line under a name ("Benefits manager", "Crushing, grinding, and polishing
# machine tender"): a capital, then lower-case words only.
_JOB_LINE = regex.compile(r"\p{Lu}\p{Ll}+(?:,?[ \t]+\p{Ll}+){1,8}")


def _line(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the content of the line holding `pos`, without a quote/bullet prefix."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    start = _LINE_PREFIX.match(text, start, end).end()
    return start, len(text[:end].rstrip())


def organisation_line(text: str, start: int, end: int, persons) -> bool:
    """A name-like line in a letter head or signature that is the company: the candidate is
    the whole line, a person's name is on the line above (or above a job title line), and a
    street address opens the line below ("Dr. Brenda Eldarkhanov\nBecker-Shaffer\n09 Avenue
    des Sartiaux 318"). `persons`: (start, end) of PERSON spans found in the text."""
    if "\n" not in text:
        return False
    line_start, line_end = _line(text, start)
    if (line_start, line_end) != (start, end):
        return False
    head = text.rfind("\n", 0, start)  # the line break above this line
    tail = text.find("\n", end)  # the line break below it
    if head <= 0 or tail < 0 or not _STREET_LINE.match(text, *_line(text, tail + 1)):
        return False

    def person_line(bounds: tuple[int, int]) -> bool:
        s, e = bounds
        return e > s and any(s <= ps <= s + 6 and e <= pe for ps, pe in persons)  # a title may lead

    above = _line(text, head - 1)
    if person_line(above):
        return True
    above_head = text.rfind("\n", 0, above[0])
    return bool(_JOB_LINE.fullmatch(text, *above)) and above_head > 0 and person_line(_line(text, above_head - 1))


# A capitalised word right after a strong cue ("My name is Tempeste").
CUED_CAPITALISED = regex.compile(
    rf"(?i)(?<![\p{{L}}])(?:{_STRONG_CUE})[ \t,:\"'“]*(?P<name>(?-i:{NAME_WORD}(?:[ \t]+{NAME_WORD})?))"
)


# Lower-case word(s) right after a strong cue ("My name is josé müller" in a cased message).
CUED_LOWER = regex.compile(
    rf"(?i)(?<![\p{{L}}])(?:{_STRONG_CUE})[ \t,:\"'“]*(?P<name>(?-i:\p{{Ll}}[\p{{Ll}}'’-]*\p{{Ll}})(?:[ \t]+(?-i:\p{{Ll}}[\p{{Ll}}'’-]*\p{{Ll}}))?)(?![\p{{L}}\d@])"
)


# Verbs whose object is a person ("i spoke to thomas", "can u tell beatrice"): in a lower-case
# message a given name that is also a word is a name after them.
ADDRESSEE_BEFORE = regex.compile(
    r"(?i)(?<![\p{L}])(?:(?:spoke|speak|spoken|speaking|talk(?:ed|ing)?|chat(?:ted)?)[ \t]+(?:to|with)|tell|told|"
    r"ask(?:ed)?|cc|thank(?:ed|s)?|remind(?:ed)?|inform(?:ed)?|e-?mail(?:ed)?|text(?:ed)?|ping(?:ed)?|call(?:ed)?|"
    r"message(?:d)?|contact(?:ed)?)[ \t]+$"
)


def cue_before(text: str, start: int, *, strong: bool = False) -> bool:
    """An introduction cue or a title ends right before `start` (`strong`: only the cues
    that introduce a name whatever the word)."""
    pattern = STRONG_CUE_BEFORE if strong else CUE_BEFORE
    return pattern.search(text, max(0, start - 40), start) is not None


# A message is "lower-case" when no word is capitalised except sentence openers and "I".
_CAPITALISED_INSIDE = regex.compile(r"(?<=[\p{Ll},;:\-][ \t]+)\p{Lu}(?!['’]?[ \t])")


def is_lowercase_message(text: str) -> bool:
    """True for chat-style text that writes names in lower case ("hi my name is john smith").

    Capitalised words at sentence starts and a lone "I" do not count. Such messages are
    where spaCy's small model misses names, and where a lower-case given name is evidence.
    """
    letters = 0
    for c in text[:2000]:
        letters += c.isalpha()
        if letters >= 3:
            break
    else:
        return False
    return _CAPITALISED_INSIDE.search(text) is None


__all__ = [
    "ADDRESSEE_BEFORE",
    "company_word_follows",
    "organisation_line",
    "NAME_WORD",
    "CUED_LOWER",
    "LEADING_TITLE",
    "TITLE_WORDS",
    "ADDRESS_AFTER",
    "ADDRESS_BEFORE",
    "COUNTRIES",
    "NATIONALITIES",
    "TITLE_NAME",
    "CUED_CAPITALISED",
    "cue_before",
    "place_or_company",
    "in_address_context",
    "is_lowercase_message",
]
