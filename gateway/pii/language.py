"""Which language's pipeline analyses a message.

GovGate serves English and Chinese traffic, often mixed in one message (an English
complaint quoting a Chinese name, a Chinese message with an e-mail address). We pick
one *primary* language per message from the share of CJK characters among its letters,
and report the CJK runs so the engine can give an English message a second, Chinese
pass over just those runs (running the Chinese NER model over English text costs time
and finds nothing).
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
_NON_HAN_WORD = regex.compile(r"[^\P{L}\p{Han}]+")


@dataclass(frozen=True)
class CjkRun:
    """A stretch of Han characters (with digits/latin glued inside) in a message."""

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
    def has_cjk(text: str) -> bool:
        return _HAN.search(text) is not None
