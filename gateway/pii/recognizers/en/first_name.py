"""PERSON from a list of given names, where the small spaCy model misses or mislabels them.

`en_core_web_sm` labels many non-English given names as ORG or GPE ("Zlata", "Nunzia",
"Halina") or misses lone first names ("Tamara just has to…"). This recognizer reads the
NER pass (`NlpResult.entities`) and a given-name list:

* a spaCy ORG/GPE/LOC/FAC span of at most three capitalised words whose first word is a
  known given name becomes PERSON at 0.9 (above NER's 0.85, so the engine's overlap
  resolution drops the ORG/LOCATION);
* a capitalised given name no entity covers becomes PERSON at 0.6 (followed by another
  capitalised word, both are taken: "Kayla Bengtsson").

Words that are names *and* everyday words ("Will", "May", "Grace", "Bill") are excluded,
as are English stop words and country names ("Israel", "Kenya": see `name_rules`).

Context that makes any word a name (lists, possessives, family words, sign-offs, quoted
speakers, "Last, First" pairs) comes from `name_context`; firms' names and the company line
of a signature block hold no person. Further evidence (`name_rules`), all regular
expressions over the message:

* after a title ("Mr. Ford", "dr. hurst") the name word(s) are PERSON at 0.9, even when the
  word is also an everyday word or lower-case;
* a spaCy ORG/GPE/LOC/FAC/NORP span right after an introduction cue ("My name is Jesenko",
  "everyone calls me Adlan") becomes PERSON at 0.9;
* spans in an address (after a house number or street word: "07 Celso Emilio Ferreiro 23",
  "Via Nazario Sauro") are not names;
* in a *lower-case message* (chat style: no capitalised word but sentence openers), a
  lower-case given name is PERSON at 0.6, with the following word when that is not an
  English word ("natasha higuchi"). Given names that are also English dictionary words
  ("crystal", "hunter", "fine") count there only after an introduction cue ("my name is
  crystal") or before a non-dictionary word. The dictionary is the WordNet lemma index that
  ships inside the spaCy model (`load_english_words`).
"""

from __future__ import annotations

from collections.abc import Iterable

import regex
from spacy.lang.en.stop_words import STOP_WORDS as _STOP_WORDS

from gateway.pii.recognizers.base import NerRecognizer
from gateway.pii.recognizers.en.name_context import contextual_names, firm_lists, in_firm_list, list_members
from gateway.pii.recognizers.en.name_lists import (
    COMMON_WORDS,
    POSSESSIVE_END,
    NameLexicon,
    load_english_words,
    load_given_names,
)
from gateway.pii.recognizers.en.name_rules import (
    ADDRESSEE_BEFORE,
    COUNTRIES,
    CUED_CAPITALISED,
    CUED_LOWER,
    NAME_WORD,
    NATIONALITIES,
    TITLE_NAME,
    TITLE_WORDS,
    company_word_follows,
    cue_before,
    in_address_context,
    in_place_context,
    is_lowercase_message,
    organisation_line,
    place_or_company,
)

_NAME_WORD_RE = regex.compile(NAME_WORD)
_WORD_AFTER = regex.compile(r"[ \t]+\p{L}")
_LAST_WORD = regex.compile(r"\S+$")
_WORD = regex.compile(r"(?<![\p{L}\d@])\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}?[\p{Ll}'’]+)*(?![\p{L}\d@])")
_STREET_AFTER = regex.compile(r"\s*(?i:street|st\b|road|rd\b|avenue|ave\b|lane|drive|way\b)")
# A speaker label at a line start (after a quote prefix): "Priya:" / "Tomasz Nowak: \"…\"".
# (A backslash before the quote: a transcript pasted from code or JSON, `Jordan:\"I'm…`.)
_SPEAKER = regex.compile(
    r"(?m)^[ \t>]*(?P<name>\p{Lu}[\p{Ll}'’]+(?:[ ]\p{Lu}[\p{Ll}'’]+)?)[ \t]*:[ \t]*(?P<quote>\\?[\"“'‘])?(?=\S)"
)
# The same in a lower-case message ("luis: \"who are you?\"").
_SPEAKER_LOWER = regex.compile(
    r"(?m)^[ \t>]*(?P<name>\p{Ll}[\p{Ll}'’]+(?:[ ]\p{Ll}[\p{Ll}'’]+)?)[ \t]*:[ \t]*(?P<quote>\\?[\"“'‘])?(?=\S)"
)
_NEXT_CAP = regex.compile(r"[ \t]+(\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}?[\p{Ll}'’]+)*)(?![\p{L}\d@])")
# A capitalised word as the subject of a verb of speaking or helping ("Kowalski said",
# "Schröder promised"): a surname used alone, as support messages write the agent's name.
_SUBJECT = regex.compile(
    r"(?<![\p{L}\d@._-])(?P<name>\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?)[ \t]+"
    r"(?:said|says|told|tells|called|phoned|rang|e-?mailed|wrote|writes|asked|replied|promised|explained|insisted|"
    r"apologi[sz]ed|answered|mentioned|agreed|texted|messaged|confirmed|helped|assured|suggested|advised|claimed|"
    r"refused|handled|emailed)(?![\p{L}])"
)
# A capitalised name word anywhere (for later mentions of a name already found).
_NAME_PART = regex.compile(r"\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)*")
# A capitalised word where a name word may be mentioned again (`_repeated`).
_MENTION = regex.compile(r"(?<![\p{L}\d@._-])\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)*(?![\p{L}\d@_])")
# Lower-case words that are given names somewhere but, in a chat, are banking/tech terms.
_LOWER_NOT_NAMES = frozenset("iban bic swift ssn pin otp cvv visa amex paypal app sms ok".split())
_TOKEN = regex.compile(r"\S+")
_LOCATIVE_BEFORE = regex.compile(r"(?i)(?<![\p{L}])(?:in|from|at|near|into|visit|visiting|to)[ \t]+$")
_SURNAME_PARTICLES = frozenset("van von de der den da di del la le du al el bin ibn dos das ter ten".split())
# Capitalised words that follow a title without being a name ("Dr. Who?" aside).
COMMON_TITLE_FOLLOWERS = frozenset({"and", "or", "the", "of"})
_LOWER_WORD = regex.compile(r"(?<![\p{L}\d@._-])\p{Ll}[\p{Ll}'’-]*\p{Ll}(?![\p{L}\d@_]|\.[\p{L}\d])")
_NEXT_LOWER = regex.compile(r"[ \t]+(\p{Ll}[\p{Ll}'’-]*\p{Ll})(?![\p{L}\d@_]|\.[\p{L}\d])")

class GivenNameRecognizer(NerRecognizer):
    """See module docstring. Reads the NER pass; `given_names` is injected (lower-case)."""

    RELABEL = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART"})
    LABELS = {"PERSON": "PERSON"}
    SCORE = 0.6
    RELABEL_SCORE = 0.9

    CUE_SCORE = 0.9
    LOWER_SCORE = 0.6

    def __init__(
        self,
        given_names: Iterable[str],
        *,
        english_words: Iterable[str] = (),
        places: Iterable[str] = (),
        supported_language: str = "en",
        name: str | None = None,
    ):
        super().__init__(supported_language=supported_language, name=name)
        self.given_names = frozenset(given_names)
        self.english_words = frozenset(english_words)
        self.lexicon = NameLexicon(self.given_names, self.english_words)
        # Listed places (the LOCATION gazetteer): "Roma", "Florence", "Austin" are given names
        # too; read as a place by spaCy, or after a locative word, they stay places.
        self.places = frozenset(places)

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if "PERSON" not in entities:
            return []
        spans = list(nlp_artifacts.entities) if nlp_artifacts is not None else []
        lower = is_lowercase_message(text)
        titled = self._titled(text, lower) + self._cued(text, spans) + self._in_context(text, spans, lower)
        covered = spans + [_Span(r.start, r.end) for r in titled]
        out = titled + self._relabelled(text, spans) + self._uncovered(text, covered)
        if lower:
            out += self._lowercase(text, covered + [_Span(r.start, r.end) for r in out])
        # A lower-case name after a strong cue, in any message ("my name is mieszko").
        out += self._cued_lower(text, covered + [_Span(r.start, r.end) for r in out])
        out += self._subjects(text, spans + [_Span(r.start, r.end) for r in out])
        out += self._speakers(
            text, [s for s in spans if s.label == "PERSON"] + [_Span(r.start, r.end) for r in out], lower
        )
        out += self._listed(text, spans, out, lower)
        firms = firm_lists(text, lower=lower, is_name=self.lexicon.is_name)
        out = self._not_companies(text, spans, out, firms)
        # Later mentions last, of names that survived: a firm's or a company line's words
        # are no one's name elsewhere in the message either.
        return self._not_companies(text, spans, out + self._repeated(text, spans, out), firms)

    @staticmethod
    def _not_companies(text, spans, found, firms):
        """Without the results inside a firm's name (`firms`: `name_context.firm_lists`) or on
        a company line (`name_rules.organisation_line`)."""
        if firms:
            found = [r for r in found if not in_firm_list(text, r.start, r.end, firms)]
        if "\n" in text:
            persons = [(s.start, s.end) for s in spans if s.label == "PERSON"] + [(r.start, r.end) for r in found]
            found = [r for r in found if not organisation_line(text, r.start, r.end, persons)]
        return found

    def _in_context(self, text, spans, lower):
        """Possessives, kin, sign-offs, quoted speakers, "Last, First" pairs (`name_context`):
        PERSON at 0.9, over the model's reading of the same words."""
        return [
            self._result(start, end, self.CUE_SCORE, rule)
            for start, end, rule in contextual_names(text, spans, self.lexicon.is_name, self.english_words, lower=lower)
            if not in_address_context(text, start, end)
        ]

    def _listed(self, text, spans, found, lower):
        """Members of a list with a person in it (`name_context.list_members`): 0.9 over a
        model span of another type, 0.6 elsewhere; words already found are left alone."""
        persons = [(r.start, r.end) for r in found] + [
            (s.start, s.end) for s in spans if s.label == "PERSON" and not in_address_context(text, s.start, s.end)
        ]
        out = []
        organisations = [s for s in spans if s.label == "ORG"]
        for start, end, rule in list_members(
            text, persons, self.lexicon.is_name, self.english_words, lower=lower, organisations=organisations
        ):
            if any(s < end and start < e for s, e in persons) or in_address_context(text, start, end):
                continue
            over_model = any(s.start < end and start < s.end for s in spans)
            out.append(self._result(start, end, self.RELABEL_SCORE if over_model else self.SCORE, rule))
        return out

    def _speakers(self, text, spans, lower):
        """Speaker labels of a pasted transcript: a capitalised word or two opening a line,
        then a colon ("Priya: \"Can you help?\"" / "Tomasz: I'll check"). A label counts when
        a quote follows its colon or two lines of the message open that way; an English word
        that is no given name ("Agent:", "Customer:", "Note:", "Subject:") is no speaker."""
        if ":" not in text:
            return []
        labels = list((_SPEAKER_LOWER if lower else _SPEAKER).finditer(text))
        if not labels:
            return []
        lines = len({m.group("name") for m in labels})
        persons = [s for s in spans if getattr(s, "label", "PERSON") == "PERSON"]
        named = sum(
            1 for m in labels
            if self.lexicon.is_name(m.group("name").split()[0])
            or m.group("name").split()[0].lower() not in self.english_words
            or any(s.start <= m.start("name") < s.end for s in persons)
        )
        out = []
        for m in labels:
            start, end = m.span("name")
            words = m.group("name").split()
            if lines < 2 and not m.group("quote"):
                continue
            if any(w.lower() in _STOP_WORDS or w.lower() in TITLE_WORDS for w in words):
                continue
            # A name that is also a word ("Jordan:", "Amber:") speaks beside a named speaker;
            # "Agent:" and "Note:" are no name at all.
            word_name = words[0].lower() in COMMON_WORDS and named > 0
            if words[0].lower() in self.english_words and not self.lexicon.is_name(words[0]) and not word_name:
                continue
            if words[0][:1].islower() and not (self.lexicon.is_name(words[0]) or word_name):
                continue
            if any(s.start < end and start < s.end for s in spans):
                continue
            if place_or_company(m.group("name")) and not word_name:
                continue
            out.append(self._result(start, end, self.RELABEL_SCORE, "speaker"))
        return out

    def _titled(self, text, lower):
        """"Mr. Ford", "Dr. Jacob van Gameren", and in lower-case text "mr. martin"."""
        out = []
        for match in TITLE_NAME.finditer(text):
            start, end = match.span("name")
            words = [(w.start(), w.end(), w.group()) for w in _TOKEN.finditer(text, start, end)]
            if not lower:
                # Cased text: the name is the capitalised words ("Mr. and Mrs. Smith" → Smith's
                # title finds Smith; "Mr. and" finds nothing).
                # Leading surname particles stay ("Prof. de Vries", "Ms. van der Berg").
                lead = 0
                while lead < len(words) - 1 and words[lead][2] in _SURNAME_PARTICLES:
                    lead += 1
                keep = lead
                while keep < len(words) and words[keep][2][:1].isupper():
                    keep += 1
                if keep == lead or words[0][2].lower() in COMMON_TITLE_FOLLOWERS:
                    continue
                end = words[keep - 1][1]
                words = words[:keep]
            elif words[0][2] in _STOP_WORDS:
                continue  # "dr. and", "mr. is"
            if in_address_context(text, start, end):
                continue
            out.append(self._result(start, end, self.CUE_SCORE, "title"))
        return out

    def _cued(self, text, spans):
        """A capitalised word after a strong cue that spaCy left unlabelled ("My name is
        Tempeste", "everyone calls me Christian")."""
        out = []
        for match in CUED_CAPITALISED.finditer(text):
            start, end = match.span("name")
            if match.group("name").lower() in _STOP_WORDS or any(s.start < end and start < s.end for s in spans):
                continue
            if match.group("name").split()[0].lower() in TITLE_WORDS:
                continue  # "Dear Mrs. Thompson": the title rule finds the name
            if place_or_company(match.group("name")) or in_address_context(text, start, end):
                continue
            out.append(self._result(start, end, self.CUE_SCORE, "cue"))
        return out

    def _relabelled(self, text, spans):
        out = []
        for span in _parts(text, [s for s in spans if s.label in self.RELABEL]):
            words = text[span.start : span.end].split()
            capitalised = all(
                _NAME_WORD_RE.fullmatch(w) or (i and w in _SURNAME_PARTICLES) for i, w in enumerate(words)
            )
            if not (1 <= len(words) <= 3 and capitalised):
                tail = self._name_tail(text, span)
                if tail is not None:
                    out.append(self._result(*tail, self.RELABEL_SCORE, span.label + " tail"))
                continue
            if (
                in_address_context(text, span.start, span.end)
                or place_or_company(text[span.start : span.end])
                or company_word_follows(text, span.end)
            ):
                continue
            cued = cue_before(text, span.start)
            if span.label in ("GPE", "LOC", "FAC") and text[span.start : span.end] in self.places and not cued:
                continue  # "from Roma": spaCy and the gazetteer agree on a place
            if not cued and in_place_context(text, span.start, span.end):
                continue  # "City: Regina", "we moved from Eugene"
            if self.lexicon.is_name(words[0]) or (cued and span.label != "NORP"):
                out.append(self._result(span.start, span.end, self.RELABEL_SCORE, span.label))
        return out

    def _uncovered(self, text, spans):
        out = []
        for match in _WORD.finditer(text):
            start, end = match.span()
            if (
                not self.lexicon.is_name(match.group())
                or match.group().lower() in TITLE_WORDS
                or any(s.start < end and start < s.end for s in spans)
            ):
                continue
            following = _NEXT_CAP.match(text, end)
            if following and following.group(1).lower() not in COMMON_WORDS:
                end = following.end()
            if match.group() in self.places and _LOCATIVE_BEFORE.search(text, max(0, start - 12), start):
                continue  # "in Florence", "from Roma"
            if (
                _STREET_AFTER.match(text, end, end + 12)
                or company_word_follows(text, end)
                or in_address_context(text, start, end)
                or in_place_context(text, start, end)
                or place_or_company(text[start:end])
            ):
                continue  # a street or place in an address line ("Gordon Street", "12 Silvestre")
            out.append(self._result(start, end, self.SCORE, "given_name"))
        return out

    def _lowercase(self, text, spans):
        """Lower-case given names in a lower-case message (see module docstring)."""
        out = []
        for match in _LOWER_WORD.finditer(text):
            start, end = match.span()
            word = match.group()
            if word in _LOWER_NOT_NAMES or not self.lexicon.is_name(word):
                continue
            if self.lexicon.inflected(word):
                continue  # "said" (a given name too) is the verb in "… said william"
            # In lower-case text the model's ORG/GPE readings of names are noise ("ángela
            # muñoz" → ORG): only PERSON spans and our own results cover a name; over another
            # model span the name scores above the model so the engine keeps it.
            if any(s.start < end and start < s.end and getattr(s, "label", "PERSON") == "PERSON" for s in spans):
                continue
            over_model = any(s.start < end and start < s.end for s in spans)
            following = _NEXT_LOWER.match(text, end)
            cued = cue_before(text, start, strong=True)
            # After a strong cue the next word is the surname unless it is a stop word ("my name
            # is anna fletcher"); elsewhere only when it is no English word ("natasha higuchi").
            surname = following is not None and (
                following.group(1) not in self.english_words
                or (cued and following.group(1) not in _STOP_WORDS and not self.lexicon.inflected(following.group(1)))
            )
            addressed = ADDRESSEE_BEFORE.search(text, max(0, start - 24), start) is not None
            if word in self.english_words and not (surname or cued or addressed):
                continue
            if surname:
                end = following.end()
            if (
                in_address_context(text, start, end)
                or in_place_context(text, start, end)
                or place_or_company(text[start:end])
            ):
                continue
            score = self.RELABEL_SCORE if over_model else self.LOWER_SCORE
            out.append(self._result(start, end, score, "lower_case_given_name"))
        return out

    def _name_tail(self, text, span):
        """A model span that runs a sentence into a name ("Please cc Giulia Bianchi" as ORG):
        the capitalised words after its last lower-case word, when the first is a given
        name. (start, end) or None."""
        pieces = list(_TOKEN.finditer(text, span.start, span.end))
        cut = max((i for i, t in enumerate(pieces) if not t.group()[:1].isupper()), default=None)
        if cut is None or cut == len(pieces) - 1:
            return None
        run = pieces[cut + 1 :]
        if not 1 <= len(run) <= 3 or not _NAME_WORD_RE.fullmatch(run[0].group()):
            return None
        # A given name, or any name word after a verb whose object is a person ("Please cc Võ
        # Minh Nguyễn" as one ORG).
        addressed = ADDRESSEE_BEFORE.search(text, max(0, run[0].start() - 24), run[0].start())
        if not (self.lexicon.is_name(run[0].group()) or addressed):
            return None
        start, end = run[0].start(), run[-1].end()
        if in_address_context(text, start, end) or place_or_company(text[start:end]):
            return None
        return start, end

    def _cued_lower(self, text, spans):
        """Cased text with a lower-case name after a strong cue ("My name is josé müller"):
        the word is a given name or not an English word; a following non-English word is
        the surname."""
        out = []
        for match in CUED_LOWER.finditer(text):
            start, end = match.span("name")
            words = match.group("name").split()
            first = words[0]
            if first in _STOP_WORDS or any(s.start < end and start < s.end for s in spans):
                continue
            if not self.lexicon.is_name(first) and self.lexicon.english(first, inflected=True):
                continue  # "my name is spelled wrong"
            if self.lexicon.inflected(first) and _WORD_AFTER.match(text, start + len(first)):
                continue  # "my name is said to be wrong" (Said is a name, but not here)
            end = start + len(first)
            if len(words) > 1 and words[1] not in self.english_words:
                end = match.end("name")
            if place_or_company(text[start:end]) or in_address_context(text, start, end):
                continue
            out.append(self._result(start, end, self.LOWER_SCORE, "cue_lower_case"))
        return out

    def _subjects(self, text, spans):
        """A capitalised non-English word as the subject of a verb of speaking or helping
        ("Kowalski said", "Schröder promised"); not when the model labelled it (an ORG:
        "Netflix told me") or it is a place, a title or a common word."""
        out = []
        for match in _SUBJECT.finditer(text):
            start, end = match.span("name")
            word = match.group("name")
            low = word.lower()
            if (
                low in self.english_words
                or low in _STOP_WORDS
                or low in COMMON_WORDS
                or low in TITLE_WORDS
                or any(s.start < end and start < s.end for s in spans)
                or place_or_company(word)
                or in_address_context(text, start, end)
            ):
                continue
            out.append(self._result(start, end, self.SCORE, "surname_subject"))
        return out

    def _repeated(self, text, spans, found):
        """Later (or earlier) mentions of a name word already found in this message:
        "I spoke to Anna Kowalski. Kowalski said…". Name words come from our results and
        spaCy's PERSON spans outside addresses."""
        people = [(r.start, r.end) for r in found] + [
            (s.start, s.end)
            for s in spans
            if s.label == "PERSON"
            and not in_address_context(text, s.start, s.end)
            and not place_or_company(text[s.start : s.end])
        ]
        if not people:
            return []
        words = {
            m.group()
            for start, end in people
            for m in _NAME_PART.finditer(text, start, end)
            if len(m.group()) >= 3 and m.group().lower() not in _STOP_WORDS and m.group().lower() not in TITLE_WORDS
        }
        covered = list(people)
        # A model span that is exactly the repeated word ("Chevalier" → ORG the second time)
        # is the model misreading the name: relabelled above its score.
        exact = {(s.start, s.end) for s in spans if s.label != "PERSON"}
        # So is one that ends with the word after a sentence word ("Yesterday Colombo" as ORG).
        exact |= {
            (m.start(), s.end)
            for s in spans
            if s.label != "PERSON"
            for m in [_LAST_WORD.search(text, s.start, s.end)]
            if m is not None
            and m.start() > s.start
            and len(text[s.start : m.start()].split()) == 1
            and text[s.start : m.start()].split()[0].lower() in self.english_words
        }
        covered += [(s.start, s.end) for s in spans]
        out = []
        if not words:
            return out
        # One pass of a fixed pattern over the text (a pattern built from this message's words
        # would be compiled anew for every message).
        for match in _MENTION.finditer(text):
            word = match.group()
            if word not in words:
                word = POSSESSIVE_END.sub("", word)
                if word not in words:
                    continue
            start, end = match.start(), match.start() + len(word)
            if in_address_context(text, start, end):
                continue
            if (start, end) in exact and (start, end) not in people:
                out.append(self._result(start, end, self.RELABEL_SCORE, "repeated_name"))
                continue
            if any(s < end and start < e for s, e in covered):
                continue
            covered.append((start, end))
            out.append(self._result(start, end, self.SCORE, "repeated_name"))
        return out

    def is_name(self, word: str) -> bool:
        """`word` is a given name (accents folded, possessive ignored): `NameLexicon.is_name`."""
        return self.lexicon.is_name(word)

    def _result(self, start, end, score, label):
        result = self.ner_result("PERSON", start, end, label)
        result.score = score
        result.analysis_explanation.original_score = score
        result.analysis_explanation.score = score
        return result


class _Span:
    __slots__ = ("start", "end")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end


class _Part:
    __slots__ = ("start", "end", "label")

    def __init__(self, start: int, end: int, label: str) -> None:
        self.start, self.end, self.label = start, end, label


_COMMA_PART = regex.compile(r"[^,\s](?:[^,\n]*[^,\s])?")


def _parts(text: str, spans) -> list[_Part]:
    """Model spans as the model should have cut them: the first line only ("Imogen
    Ashworth\nCity: Charlotte\nPhone" as one FAC), each comma-separated part on its own
    ("Ludovica, Eero" as one ORG)."""
    out = []
    for span in spans:
        end = span.start + len(text[span.start : span.end].split("\n", 1)[0].rstrip())
        possessive = POSSESSIVE_END.search(text, span.start, end)
        end = possessive.start() if possessive else end  # "Mary's" as ORG: the name is "Mary"
        if "," not in text[span.start : end]:
            out.append(_Part(span.start, end, span.label))
            continue
        out.extend(_Part(m.start(), m.end(), span.label) for m in _COMMA_PART.finditer(text, span.start, end))
    return [p for p in out if p.end > p.start]


__all__ = ["GivenNameRecognizer", "load_english_words", "load_given_names"]
