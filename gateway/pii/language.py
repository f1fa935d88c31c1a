"""Which language's pipeline analyses a message.

GovGate serves English and Chinese traffic, often mixed in one message (an English
complaint quoting a Chinese name, a Chinese message with an e-mail address). We pick
one *primary* language per message from the share of CJK characters among its letters,
and report the runs of each script so the engine can give an English message a second,
Chinese pass over just its Han runs, and a Chinese message an English pass over just its
Latin runs (running either NER model over the other script costs time and finds nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from gateway.pii.findings import Language

# A message is Chinese when Han characters make up at least this share of its "words",
# counting each Han character as a word (a Chinese character carries about as much as an
# English word) and each run of Latin letters as one. Counting letters instead would let
# one e-mail address ("zhangwei@example.com": 18 letters) outvote a Chinese sentence.
DEFAULT_CJK_SHARE = 0.5

_CJK_RUN = regex.compile(r"\p{Han}+(?:[\p{Han}0-9０-９A-Za-z·•\-－]*\p{Han})?")
_HAN = regex.compile(r"\p{Han}")
# Stretches between Han characters, CJK punctuation and line breaks; a Latin run is one that
# holds a Latin word of two letters or more (an ID's check letter "X" is not English).
_NON_CJK_STRETCH = regex.compile(r"[^\p{Han}\u3000-\u303f\uff00-\uffef\n]+")
_LATIN_WORD = regex.compile(r"\p{Latin}{2,}")
_RUN_EDGE = regex.compile(r"[\s,.;:!?'\"()\[\]{}<>*#|~-]*")
_NON_HAN_WORD = regex.compile(r"[^\P{L}\p{Han}]+")


@dataclass(frozen=True)
class CjkRun:
    """A stretch of one script in a message: Han characters (with digits/latin glued inside)
    from `cjk_runs`, or Latin text from `latin_runs`."""

    start: int
    end: int


class LanguageChooser:
    """Chooses the primary language of a message by the share of Han characters."""

    def __init__(self, *, cjk_share: float = DEFAULT_CJK_SHARE) -> None:
        if not 0.0 < cjk_share <= 1.0:
            raise ValueError("cjk_share must be in (0, 1]")
        self.cjk_share = cjk_share

    def choose(self, text: str) -> Language:
        han = len(_HAN.findall(text))
        if han == 0:
            return "en"
        words = len(_NON_HAN_WORD.findall(text))
        return "zh" if han / (han + words) >= self.cjk_share else "en"

    @staticmethod
    def cjk_runs(text: str) -> list[CjkRun]:
        """Han runs, for the Chinese pass over an English message."""
        return [CjkRun(m.start(), m.end()) for m in _CJK_RUN.finditer(text)]

    @staticmethod
    def latin_runs(text: str) -> list[CjkRun]:
        """Latin-script runs (words, digits, punctuation between Han text), trimmed of
        spaces and punctuation at their edges, for the English pass over a Chinese message."""
        runs = []
        for match in _NON_CJK_STRETCH.finditer(text):
            start, end = match.span()
            if _LATIN_WORD.search(text, start, end) is None:
                continue
            start = _RUN_EDGE.match(text, start, end).end()
            while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:'\"([{<*#|~-"):
                end -= 1
            if end > start:
                runs.append(CjkRun(start, end))
        return runs
