"""Context that makes a word a person's name in English text, whatever the word: the
constructions support messages put names in. Each finder returns `(start, end, rule)` spans;
`GivenNameRecognizer` turns them into PERSON results (see `first_name.py`).

* **Lists**: coordinated words share a type. In "Malon, Mark, Kaylee and Brandi" or
  "Schiavone and Livingston", once one member is a person (spaCy's PERSON, a given name) or
  a people noun introduces the list ("our 3 founders:", "Attendees:"), every member is one.
  A list that names a firm is not: three surnames or two joined by "&" after "the", before
  a singular verb or an organisation word, or before the firm's street address ("The Jones,
  Mitchell and Williams office", "Davis, Reynolds and Williamson is", "at Craig, Palmer and
  Quinn, 80 P.O. Box 15"). `firm_lists` gives those spans; no recognizer reports a person in
  them.
* **Possessives before a person's noun**: "Gregorina's daughter", "Takeshi's phone",
  "Siddharth's account". Kin and personal nouns (daughter, wife, boss, birthday, passport)
  make any capitalised word a person; things a company has too (address, phone, account)
  need a word that is a given name or no English word, and not the model's ORG.
* **Kin before a name**: "my son Lakshmi", "our daughter beatrice".
* **Sign-offs**: the one to three capitalised words ending the line after "Kind regards",
  "Cheers,", "Thanks," … ("Best regards,\nHaruto Watanabe"), unless they are English words
  ("Thanks,\nCustomer Support").
* **Quoted speech**: the speaker after a closing quote (or "!", "?") and a verb of saying
  ("…,\" says Lugo.", "…,\" said Mehmet Çelik", "I'm so jealous! said Mai to Jerry").
* **"Last, First" pairs**: a capitalised word that is no given name or English word, a comma
  and a given name ("Heikkinen, Eero"), not followed by "and" or another comma (a list): one
  person, one span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from gateway.pii.recognizers.en.name_rules import (
    NAME_WORD,
    TITLE_WORDS,
    cue_before,
    in_address_context,
    place_or_company,
)

Span = tuple[int, int, str]

_PARTICLE = r"(?:van|von|de|der|den|da|di|del|la|le|du|al|el|bin|ibn|dos|das|ter|ten)"
NAME_CASED = rf"{NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{NAME_WORD}){{0,2}}"
_LOWER_WORD = r"\p{Ll}[\p{Ll}'’-]*\p{Ll}"
_NAME_LOWER = rf"{_LOWER_WORD}(?:[ \t]+{_LOWER_WORD})?"

# --- lists ---------------------------------------------------------------------------------

_SEP = r"[ \t]*,[ \t]*(?:(?:and|&)[ \t]+)?|[ \t]+(?:and|&)[ \t]+"
_LIST_CASED = regex.compile(rf"(?<![\p{{L}}\d@._-])(?:{NAME_CASED})(?:(?:{_SEP})(?:{NAME_CASED}))+(?![\p{{L}}\d@])")
# Lower-case lists: one word a member ("thomas, omar and brandy"); two-word members would read
# "björn yesterday and she said" as a list.
_LIST_LOWER = regex.compile(rf"(?<![\p{{L}}\d@._-])(?:{_LOWER_WORD})(?:(?:{_SEP})(?:{_LOWER_WORD}))+(?![\p{{L}}\d@])")
_ITEM_SPLIT = regex.compile(rf"(?:{_SEP})")
_TOKEN = regex.compile(r"\S+")
# A people noun and a colon right before the list ("our 3 founders: ", "Attendees: ").
_PEOPLE_BEFORE = regex.compile(
    r"(?i)(?<![\p{L}])(?:founders?|co-?founders|children|kids|sons|daughters|members|guests|attendees|participants|"
    r"passengers|travell?ers|employees|staff|colleagues|friends|parents|siblings|brothers|sisters|owners|directors|"
    r"authors|speakers|recipients|signatories|contacts|winners|students|players|heirs|beneficiaries|cardholders|"
    r"people|persons|names|family|team)(?:[ \t]+(?:are|were|is))?[ \t]*:[ \t]*$"
)
_FIRM_AFTER = regex.compile(
    r"(?:[ \t]+(?i:office|offices|firm|law|llp|llc|inc|ltd|plc|group|partners|associates|&|is|has|was|had|does)\b"
    r"|['’]s\b|[ \t]*,?[ \t]*\n?[ \t]*\d|[ \t]*\n[^\n]*\d)"
)
_NUMBER_AFTER = regex.compile(r"[ \t]*\d")
_AND = regex.compile(r"[ \t](?:and|&)[ \t]")
_THE_BEFORE = regex.compile(r"(?i)(?<![\p{L}])the[ \t]+$")
# Words that open a sentence or a greeting before a list's first name ("Hi Anna, Tom and Ben").
_LEADING_NOISE = frozenset("hi hello hey dear thanks thank cheers please sorry yes ok okay and or".split())


def _items(text: str, match) -> list[tuple[int, int]]:
    """The members of a list match, each (start, end), leading stop/greeting/title words cut."""
    out = []
    pos = match.start()
    pieces = [*_ITEM_SPLIT.finditer(text, match.start(), match.end())]
    bounds = [(pos if i == 0 else pieces[i - 1].end(), p.start()) for i, p in enumerate(pieces)]
    bounds.append((pieces[-1].end(), match.end()))
    for start, end in bounds:
        for word in _TOKEN.finditer(text, start, end):
            low = word.group().lower()
            if low in STOP_WORDS or low in _LEADING_NOISE or low.rstrip(".") in TITLE_WORDS:
                start = word.end() + 1
            else:
                break
        if start < end:
            out.append((start, end))
    return out


def _is_firm(text: str, match, items: Sequence[tuple[int, int]], is_name: Callable[[str], bool] | None = None) -> bool:
    joined_by_amp = "&" in text[match.start() : match.end()]
    single = all(" " not in text[s:e] for s, e in items)
    if not single or not (len(items) >= 3 or joined_by_amp):
        return False
    # Two words joined by "&" are a firm ("Marks & Spencer", "Johnson & Johnson") unless both
    # are given names ("Anna & Tom"); `is_name` is None where no name list is at hand.
    if joined_by_amp and len(items) == 2 and is_name is not None:
        if not all(is_name(text[s:e]) for s, e in items) or text[slice(*items[0])] == text[slice(*items[1])]:
            return True
    first = items[0][0]
    return bool(_THE_BEFORE.search(text, max(0, first - 6), first) or _FIRM_AFTER.match(text, match.end()))


def firm_lists(
    text: str, *, lower: bool = False, is_name: Callable[[str], bool] | None = None
) -> list[tuple[int, int]]:
    """Spans of surname lists that name a firm (see module docstring); `lower`: the message
    is lower case (`is_lowercase_message`), so are its firms' names; `is_name`: a given-name
    test, for "A & B"."""
    if "&" not in text and not ("," in text and _AND.search(text)):
        return []
    out = []
    for match in (_LIST_LOWER if lower else _LIST_CASED).finditer(text):
        items = _items(text, match)
        if len(items) >= 2 and _is_firm(text, match, items, is_name):
            out.append((items[0][0], items[-1][1]))
    return out


def in_firm_list(text: str, start: int, end: int, firms: Iterable[tuple[int, int]] | None = None) -> bool:
    firms = firm_lists(text) if firms is None else firms
    return any(s <= start and end <= e for s, e in firms)


def list_members(
    text: str,
    persons: Sequence[tuple[int, int]],
    is_name: Callable[[str], bool],
    english_words: frozenset[str],
    *,
    lower: bool,
    organisations: Sequence = (),
) -> list[Span]:
    """Members of name lists with a person among them or a people noun before them.

    Evidence, one of: a people noun before the list; a member that is a given name; two
    members the model read as PERSON, or one in a list of two ("Schiavone and Livingston"):
    a lone model PERSON among companies ("Intelius, Caresetcom and Evidera") is its error, not
    the list's type. A list with a place or a company in it, or one coordinated with an
    address ("Lauren and Sorlaskeid 32"), is none of people. With two given names in it,
    every member is a person, words too ("Victor, Andrew, Evan and April"). Without a people
    noun the list needs an "and" or "&" (commas alone join appositions: "Hamilton East,
    Wolf-Carpenter is …"), and a member the model read as an ORG (`organisations`: NER spans
    with `.label`) stays one unless it is a given name or two are in the list ("T Rowe Price,
    Collective Ip and Garmin")."""
    if "," not in text and " and " not in text and "&" not in text:
        return []
    out: list[Span] = []
    for match in (_LIST_LOWER if lower else _LIST_CASED).finditer(text):
        items = _items(text, match)
        if len(items) < 2 or _is_firm(text, match, items, is_name):
            continue
        if any(place_or_company(text[s:e]) or _NUMBER_AFTER.match(text, e) or in_address_context(text, s, e)
               for s, e in items):
            continue
        first, last = items[0][0], items[-1][1]
        if "&" in text[first:last] and any(o.start <= first and last <= o.end for o in organisations):
            continue  # "Marks & Spencer" read whole as an ORG by the model: the firm's name
        cued = _PEOPLE_BEFORE.search(text, max(0, items[0][0] - 40), items[0][0]) is not None
        if not cued and not _AND.search(text, match.start(), match.end()):
            continue  # "Hamilton East, Wolf-Carpenter is …": commas alone join appositions
        given = [is_name(text[s:e].split()[0]) for s, e in items]
        model = [any(s < e2 and s2 < e for s2, e2 in persons) for s, e in items]
        spoken_for = sum(model) >= 2 or (sum(model) == 1 and len(items) == 2)
        if not (cued or sum(given) >= (2 if lower else 1) or (spoken_for and not lower)):
            continue
        many = sum(given) >= 2
        # A member that is an English word and no name makes it a list of things ("Zara, Mango
        # and Uniqlo"), unless two names are in it; after a people noun only when every member
        # is one ("Attendees: Sales, Marketing and Legal": WordNet also lists surnames such as
        # Edwards and Schulz, so one word-member does not undo "our 3 founders:").
        wordy = [
            not name and not read and all(w.lower() in english_words for w in text[s:e].split())
            for (s, e), name, read in zip(items, given, model)
        ]
        if not many and (all(wordy) if cued else any(wordy)):
            continue
        # "Tariq Haddad and Haruto Watanabe": a full name beside a full name the model read
        # as a person is one too, whatever the model thought of it.
        full_names = {len(text[s:e].split()) for (s, e), read in zip(items, model) if read}
        for (s, e), name, read in zip(items, given, model):
            words = text[s:e].split()
            if words[0].lower() in STOP_WORDS:
                continue
            parallel = len(words) >= 2 and len(words) in full_names
            if not (name or cued or many or parallel) and any(
                o.label == "ORG" and o.start < e and s < o.end for o in organisations
            ):
                continue  # the model's company stays one unless the list is plainly of people
            if lower and not (name or cued or many):
                continue  # lower case: a member is a name on its own, or among names
            # An English word that is no name joins a list of people only after a people noun
            # or among given names ("Sales and Anna" is not a list of two people).
            if not (name or read or cued or many) and all(w.lower() in english_words for w in words):
                continue
            out.append((s, e, "list"))
    return out


# --- possessives, kin, sign-offs, quotes, pairs ----------------------------------------------

_KIN = (
    r"daughter|son|wife|husband|partner|spouse|mother|father|mom|mum|dad|parents?|brother|sister|sibling|aunt|uncle|"
    r"niece|nephew|cousin|grandmother|grandfather|grandma|grandpa|granny|grandson|granddaughter|girlfriend|boyfriend|"
    r"fiancée?|fiancee?|widow|widower|kids?|children|child|baby|twins?|stepson|stepdaughter|stepmother|stepfather"
)
_PERSONAL = (
    rf"{_KIN}|birthday|passport|boss|manager|assistant|colleague|friend|maiden|surname|signature|funeral|wedding"
)
_SHARED = r"address|phone|mobile|number|email|e-mail|account|details|order|card|booking|ticket|profile"
# Found from the possessive ending back to the name (a scan from every word is ~5x slower).
_POSSESSIVE_NOUN = regex.compile(
    r"\\?['’]s[ \t]+(?:(?i:new|old|own|current|former|late|little|elder|older|younger|eldest|youngest|best|"
    rf"personal|home|mobile|work|private|bank|credit|debit)[ \t]+)?(?P<noun>(?i:{_PERSONAL})|(?i:{_SHARED}))\b"
)
_NAME_ENDING = regex.compile(rf"(?<![\p{{L}}\d@._-])(?:{NAME_WORD}|{_LOWER_WORD})$")
_PERSONAL_RE = regex.compile(rf"(?i:{_PERSONAL})")
# Family only: "our partner Microsoft" is a business partner.
_FAMILY = _KIN.replace("partner|", "")
_KIN_BEFORE = regex.compile(
    rf"(?<![\p{{L}}])(?i:my|our|his|her|their|your)[ \t]+(?i:{_FAMILY}|friend|neighbou?r)[ \t]*,?[ \t]+"
    rf"(?P<name>{NAME_CASED}|{_LOWER_WORD})"
)
_SIGNOFF_WORDS = (
    r"kind(?:est)?[ \t]+regards|best[ \t]+regards|warm(?:est)?[ \t]+regards|many[ \t]+thanks|thanks[ \t]+again|"
    r"thank[ \t]+you|best[ \t]+wishes|all[ \t]+the[ \t]+best|regards|best|cheers|thanks|sincerely|"
    r"yours(?:[ \t]+(?:sincerely|truly|faithfully))?|br|talk[ \t]+soon|take[ \t]+care"
)
# The sign-off, matched where `_SIGNOFF_START` finds its word at a line or sentence start.
_SIGNOFF = regex.compile(
    rf"(?i:{_SIGNOFF_WORDS})[ \t]*[,.!]?[ \t]*(?:\r?\n[ \t]*)?(?P<name>{NAME_CASED})[ \t]*[.!]?[ \t]*(?=\r?\n|$)"
)
_SIGNOFF_START = regex.compile(rf"(?i)\b(?:{_SIGNOFF_WORDS})\b")
_BOUNDARY_BEFORE = regex.compile(r"(?:^|\n|[.!?][ \t])[ \t]*$")
# Cheap first looks, so the patterns above run only on messages that can match them.
_OWNER = regex.compile(r"\b(?:my|our|his|her|their|your)\s")
_SAYING = regex.compile(r"\b(?:said|says|ask|repl|add|wr[io]te|explain|insist|told)")
_QUOTE_SPEAKER = regex.compile(
    r"(?:[\"”'’]|[!?](?=[ \t]))[ \t]*,?[ \t]*"
    r"(?:said|says|asked|asks|replied|replies|added|adds|wrote|writes|explained|insisted|told)"
    rf"[ \t]+(?P<name>{NAME_CASED}|{_NAME_LOWER})"
)
# The speaker before the verb: "\"It shipped on Monday,\" Anna Kowalski told me."
_QUOTE_SPEAKER_BEFORE = regex.compile(
    rf"[\"”][ \t]*,?[ \t]*(?P<name>{NAME_CASED})[ \t]+(?:said|says|asked|replied|added|wrote|explained|insisted|told)\b"
)
# One word either side of the comma, no name word before or after: "Iyer, Maite Olabarrieta"
# is two people of a list, not a pair.
_PAIR = regex.compile(
    rf"(?<![\p{{L}}\d@._-])(?P<last>{NAME_WORD}),[ \t]*(?P<first>{NAME_WORD})"
    r"(?![\p{L}\d@])(?![ \t]*(?:,|and\b|&)|[ \t]+\p{Lu})"
)
_NAME_BEFORE = regex.compile(r"\p{Lu}[\p{L}'’-]*[ \t]+$")


def contextual_names(
    text: str,
    model_spans: Sequence,
    is_name: Callable[[str], bool],
    english_words: frozenset[str],
    *,
    lower: bool,
) -> list[Span]:
    """Possessives, kin, sign-offs, quoted speakers and "Last, First" pairs (module docstring).
    `model_spans` are the NER spans (`.start`, `.end`, `.label`)."""
    out: list[Span] = []

    def plausible(start: int, end: int, *, strong: bool) -> bool:
        words = text[start:end].split()
        first = words[0].lower().strip("'’")
        if first in STOP_WORDS or first in TITLE_WORDS or place_or_company(text[start:end]):
            return False
        if words[0][:1].islower() and not (lower and (is_name(words[0]) or first not in english_words)):
            return False  # lower-case names only in lower-case messages
        return strong or is_name(words[0]) or first not in english_words

    low = text.lower()
    if "'s" in low or "’s" in low:
        for m in _POSSESSIVE_NOUN.finditer(text):
            name = _NAME_ENDING.search(text, max(0, m.start() - 40), m.start())
            if name is None:
                continue
            start, end = name.span()
            strong = _PERSONAL_RE.fullmatch(m.group("noun")) is not None
            if not strong and any(
                s.label == "ORG" and s.start < end and start < s.end for s in model_spans
            ):
                continue  # "Netflix's account"
            if plausible(start, end, strong=strong):
                out.append((start, end, "possessive"))
    for m in _KIN_BEFORE.finditer(text) if _OWNER.search(low) else ():
        start, end = m.span("name")
        # "my wife Grace": capitalised after a family word, any word is a name.
        if plausible(start, end, strong=text[start].isupper()):
            out.append((start, end, "kin"))
    signoffs = (
        _SIGNOFF.match(text, at.start())
        for at in _SIGNOFF_START.finditer(text)
        if _BOUNDARY_BEFORE.search(text, max(0, at.start() - 8), at.start())
    )
    for m in (m for m in signoffs if m is not None):
        start, end = m.span("name")
        words = m.group("name").split()
        if all(w.lower() in english_words and not is_name(w) for w in words):
            continue  # "Thanks,\nCustomer Support"
        if plausible(start, end, strong=True):
            out.append((start, end, "signoff"))
    if ('"' in text or "”" in text or "'" in text) and _SAYING.search(low):
        for m in (*_QUOTE_SPEAKER.finditer(text), *_QUOTE_SPEAKER_BEFORE.finditer(text)):
            start, end = m.span("name")
            if plausible(start, end, strong=False):
                out.append((start, end, "quoted_speaker"))
    if "," in text:
        for m in _PAIR.finditer(text):
            if _NAME_BEFORE.search(text, max(0, m.start() - 30), m.start()):
                continue
            last, first = m.group("last"), m.group("first")
            if last.lower() in english_words or last.lower() in STOP_WORDS or is_name(last):
                continue
            # After a cue ("Account holder:", "registered as") any non-English word will do.
            if is_name(first) or (first.lower() not in english_words and cue_before(text, m.start())):
                out.append((m.start(), m.end(), "last_first"))
    return out


__all__ = ["NAME_CASED", "NAME_WORD", "contextual_names", "firm_lists", "in_firm_list", "list_members"]
