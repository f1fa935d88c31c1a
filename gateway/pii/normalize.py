"""The normalised view PII is detected on, with an explicit map back to the original text.

Callers write values in forms no pattern expects: full-width digits (`１３８１２３４５６７８`),
other digit systems (Arabic-Indic `٤١١١…`, Devanagari `४१११…`), zero-width or format
characters inside a number, full-width letters and `＠` in an e-mail, `maria [at] example
[dot] com`, `maria%40example.com`. `normalize(text)` returns a `NormalizedText`: the view the
recognizers read, and for every character of the view the span of ORIGINAL characters it came
from. A finding found on the view is mapped back with `to_original(start, end)`, so the action
(redact, mask, pseudonymise) replaces exactly the characters the caller wrote, in the form the
caller wrote them.

What the view changes, in order (each step is an edit list applied by `_rewrite`, so the
map composes):

1. **Characters** (`_fold_segment`): NFKC per character, or per base character with its
   combining marks (so "e" + U+0301 composes, and a mark never ends up separated from its
   base); format characters (Cf: zero-width space/joiners, soft hyphen, BOM, bidi controls),
   control characters other than whitespace and variation selectors are removed; any decimal
   digit (`unicodedata.decimal`) becomes its ASCII digit; combining marks after a digit are
   dropped (keycaps "4️⃣"); hyphens, en dashes and the minus sign become "-"; every space
   separator becomes " ". NFKC changes lengths ("ﬁ" → "fi", "㈠" → "(一)", "½" → "1⁄2"): every
   character a segment produces maps to the whole original segment, so a span never starts
   or ends inside an original character.
2. **Chinese numerals** written as a number: a run of at least seven of 〇零一二三四五六七八九幺
   ("一三八一二三四五六七八") becomes digits; shorter runs are words ("一二三", "二〇二四年").
3. **Obfuscated e-mail addresses** (`_deobfuscate_emails`): "@" written as " @ ", "[at]",
   "(at)", "{at}", "<at>", "【at】", "[@]", "%40", "&#64;", "&commat;" or " at " (the last only
   when a dot in the domain is spelled out too: "maria at example dot com"), and "." written
   as "[dot]", "(dot)", " dot ", " . ", "%2E", "&#46;", "。" — between something shaped like a
   local part and a dotted domain. The e-mail recognizer then sees "maria@example.com".

Not changed in the view: separators inside numbers. Cards, phones and IDs written with odd
separators (dots, underscores, slashes, bullets, several characters between groups, or one
digit at a time) are handed to the engine by `separated_digit_runs` as compact and evenly
spaced variants of the run, each with its own map; rewriting them in the view itself would
change what every other recognizer sees (a dotted IP address, a date).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

# Characters the view never changes: printable ASCII, tab/newline/CR, the common CJK Unified
# ideographs and the two commonest CJK punctuation marks. Everything else is looked at.
_ATTENTION = regex.compile(
    r"\P{M}\p{M}+|[^\t\n\r\x20-\x7e\u3400-\u4dbf\u4e00-\u9fff\u3001\u3002]"
)
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2212\ufe58\ufe63")
_KEEP_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")

_CN_NUMERALS = {"〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4",
                "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_NUMERAL_RUN = regex.compile(r"[〇零一幺二三四五六七八九](?:[ \-]?[〇零一幺二三四五六七八九]){6,}")

# --- e-mail obfuscation --------------------------------------------------------------------
_OPEN = r"[\[({<【〔]"
_CLOSE = r"[\])}>】〕]"
_AT_TOKEN = regex.compile(
    r"(?i)\s*" + _OPEN + r"\s*(?:at|@)\s*" + _CLOSE + r"\s*|\s+@\s*|\s*@\s+|@|%40|&#0*64;|&#x0*40;|&commat;"
    r"|(?P<word>\s+at\s+)"
)
_DOT_OBFUSCATED = r"\s*" + _OPEN + r"\s*(?:dot|\.)\s*" + _CLOSE + r"\s*|\s+dot\s+|\s+\.\s+|%2e|&#0*46;|&#x0*2e;|&period;|[。｡]"
_DOT_OBFUSCATED_RX = regex.compile(r"(?i)" + _DOT_OBFUSCATED)
_SPELLED_DOT_RX = regex.compile(r"(?i)\s*" + _OPEN + r"\s*dot\s*" + _CLOSE + r"\s*|\s+dot\s+")
_DOT = r"(?:" + _DOT_OBFUSCATED + r"|\.)"
# A dot written with spaces around it (" . ", " dot ") ends the domain before a capitalised
# word: "maria [at] example.com . Thanks" is an address and a sentence.
_DOT_LOOSE = r"(?:\s+dot\s+|\s+\.\s+)(?-i:(?!\p{Lu}\p{Ll}))"
_DOT_TIGHT = r"(?:\s*" + _OPEN + r"\s*(?:dot|\.)\s*" + _CLOSE + r"\s*|%2e|&#0*46;|&#x0*2e;|&period;|[。｡]|\.)"
_LOCAL_CHARS = r"[\p{L}\p{N}_%+\-]+"
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?"
_DOMAIN = regex.compile(r"(?i)" + _LABEL + r"(?:(?:" + _DOT_TIGHT + r"|" + _DOT_LOOSE + r")" + _LABEL + r")+")
# Matched backwards from the "@" (regex's reverse mode): the local part ending there.
_LOCAL_BEFORE = regex.compile(r"(?ri)" + _LOCAL_CHARS + r"(?:" + _DOT + _LOCAL_CHARS + r")*")
_EMAIL_HINT = regex.compile(r"(?i)@|%40|&#|&commat;|(?<![a-z])at(?![a-z])")

# --- digit runs ----------------------------------------------------------------------------
_GAP_CHARS = " ._/\\\\·•∙⋅\\-"
_DIGIT_RUN = regex.compile(
    r"(?<![0-9A-Za-z+])\+?[0-9](?:[" + _GAP_CHARS + r"]{1,3}[0-9]|[0-9])*(?:[" + _GAP_CHARS + r"]{0,3}[Xx])?(?![0-9A-Za-z])"
)
_GAP = regex.compile(r"[" + _GAP_CHARS + r"]+")
# Digit counts of the values written this way: SSNs (9) to 19-digit cards.
MIN_RUN_DIGITS = 9
MAX_RUN_DIGITS = 19


@dataclass(frozen=True, eq=False)
class NormalizedText:
    """A view of `original` with, per view character, the original span it came from.

    `starts[i]`/`ends[i]` are the original start/end of view character i; None means the view
    is the original (identity map).
    """

    original: str
    text: str
    starts: Sequence[int] | None = None
    ends: Sequence[int] | None = None

    @property
    def changed(self) -> bool:
        return self.starts is not None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering view characters [start, end) (end > start)."""
        if self.starts is None or self.ends is None:
            return start, end
        if not 0 <= start < end <= len(self.text):
            raise ValueError("span outside the normalised text")
        return self.starts[start], self.ends[end - 1]

    def _maps(self) -> tuple[Sequence[int], Sequence[int]]:
        if self.starts is None or self.ends is None:
            n = len(self.text)
            return range(n), range(1, n + 1)
        return self.starts, self.ends


def normalize(text: str) -> NormalizedText:
    """The detection view of `text` (see the module docstring)."""
    view = NormalizedText(text, text)
    view = _rewrite(view, _character_edits(text))
    view = _rewrite(view, _cn_numeral_edits(view.text))
    view = _rewrite(view, _email_edits(view.text))
    return view


# --- step 1: characters --------------------------------------------------------------------


def _character_edits(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for match in _ATTENTION.finditer(text):
        segment = match.group()
        folded = _fold_char(segment) if len(segment) == 1 else _fold_cluster(segment)
        if folded != segment:
            edits.append((match.start(), match.end(), folded))
    return edits


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf" or (category == "Cc" and char not in _KEEP_CONTROLS) or _is_variation_selector(char):
        return ""
    return "".join(_fold_nfkc_char(c) for c in unicodedata.normalize("NFKC", char))


def _fold_cluster(segment: str) -> str:
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", segment):
        if _is_variation_selector(char) or unicodedata.category(char) == "Cf":
            continue
        if unicodedata.category(char) in ("Mn", "Me", "Mc") and out and out[-1][-1:].isdigit() and out[-1].isascii():
            continue  # a keycap or other mark on a digit: the digit is what counts
        out.append(_fold_nfkc_char(char))
    return "".join(out)


def _fold_nfkc_char(char: str) -> str:
    if char.isascii():
        return char
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    if char in _DASHES:
        return "-"
    if unicodedata.category(char) == "Zs":
        return " "
    return char


def _is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or code == 0x034F


# --- step 2: Chinese numerals --------------------------------------------------------------


def _cn_numeral_edits(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for match in _CN_NUMERAL_RUN.finditer(text):
        for i in range(match.start(), match.end()):
            digit = _CN_NUMERALS.get(text[i])
            if digit is not None:
                edits.append((i, i + 1, digit))
    return edits


# --- step 3: e-mail obfuscation ------------------------------------------------------------


def _email_edits(text: str) -> list[tuple[int, int, str]]:
    if _EMAIL_HINT.search(text) is None:
        return []
    edits: list[tuple[int, int, str]] = []
    done = 0
    for at in _AT_TOKEN.finditer(text):
        a, b = at.span()
        if a < done:
            continue
        local = _LOCAL_BEFORE.match(text, done, a)
        domain = _DOMAIN.match(text, b)
        if local is None or domain is None or local.end() != a:
            continue
        domain_dots = [m.span() for m in _DOT_OBFUSCATED_RX.finditer(text, domain.start(), domain.end())]
        if at.group("word") is not None and not _SPELLED_DOT_RX.search(text, domain.start(), domain.end()):
            continue  # "look at example.com" is prose; "maria at example dot com" is an address
        local_dots = [m.span() for m in _DOT_OBFUSCATED_RX.finditer(text, local.start(), local.end())]
        if at.group() == "@" and not domain_dots and not local_dots:
            continue  # a plain address: nothing to rewrite
        edits.extend((s, e, ".") for s, e in local_dots)
        if at.group() != "@":
            edits.append((a, b, "@"))
        edits.extend((s, e, ".") for s, e in domain_dots)
        done = domain.end()
    return sorted(edits)


# --- edits -> view -------------------------------------------------------------------------


def _rewrite(view: NormalizedText, edits: list[tuple[int, int, str]]) -> NormalizedText:
    """Apply non-overlapping, sorted (start, end, replacement) edits to `view.text`.

    Every character of a replacement maps to the original span of everything it replaces;
    an empty replacement deletes. Unchanged characters keep their mapping.
    """
    if not edits:
        return view
    text = view.text
    starts, ends = view._maps()
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for start, end, replacement in edits:
        if start < pos or end <= start:
            raise ValueError("edits must be sorted, non-overlapping and non-empty")
        out.append(text[pos:start])
        new_starts.extend(starts[pos:start])
        new_ends.extend(ends[pos:start])
        if replacement:
            first, last = starts[start], ends[end - 1]
            out.append(replacement)
            new_starts.extend([first] * len(replacement))
            new_ends.extend([last] * len(replacement))
        pos = end
    out.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return NormalizedText(view.original, "".join(out), new_starts, new_ends)


# --- separators inside numbers -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DigitRunVariant:
    """One rewriting of a digit run: `text` and, per character, its span in the view."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_view(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


@dataclass(frozen=True, eq=False)
class DigitRun:
    """A number written with separators no pattern expects, and its rewritings."""

    start: int
    end: int
    variants: tuple[DigitRunVariant, ...]


def separated_digit_runs(text: str) -> list[DigitRun]:
    """Runs of 9-19 digits (and a trailing X) with odd separators, in view coordinates.

    A run is left alone when the usual patterns already read it: one space or hyphen between
    groups of at least three digits (after the first group: "+1 415 555 0134", "4111 1111
    1111 1111"), or a dotted IPv4 address. Otherwise ("4111.1111.1111.1111",
    "4_1_1_1…", "1 3 8 1 2 3 4 5 6 7 8", "138 - 1234 - 5678") the engine gets a compact
    variant (separators removed) and a spaced one (each separator one space).
    """
    runs = []
    for match in _DIGIT_RUN.finditer(text):
        start, end = match.span()
        value = match.group()
        gaps = [(m.start() + start, m.end() + start) for m in _GAP.finditer(value)]
        if not gaps:
            continue
        digits = sum(c.isdigit() or c in "Xx" for c in value)
        if not MIN_RUN_DIGITS <= digits <= MAX_RUN_DIGITS:
            continue
        groups = [g for g in _GAP.split(value.lstrip("+")) if g]
        gap_texts = {text[s:e] for s, e in gaps}
        if gap_texts <= {" ", "-"} and all(len(g) >= 3 for g in groups[1:]):
            continue
        if gap_texts == {"."} and len(groups) == 4 and all(len(g) <= 3 for g in groups):
            continue
        variants = [_variant(text, start, end, gaps, "")]
        if gap_texts != {" "}:
            variants.append(_variant(text, start, end, gaps, " "))
        runs.append(DigitRun(start, end, tuple(variants)))
    return runs


def _variant(text: str, start: int, end: int, gaps: list[tuple[int, int]], joiner: str) -> DigitRunVariant:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = start
    for gap_start, gap_end in [*gaps, (end, end)]:
        for i in range(pos, gap_start):
            chars.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        if gap_end > gap_start and joiner:
            chars.append(joiner)
            starts.append(gap_start)
            ends.append(gap_end)
        pos = gap_end
    return DigitRunVariant("".join(chars), tuple(starts), tuple(ends))


__all__ = ["DigitRun", "DigitRunVariant", "NormalizedText", "normalize", "separated_digit_runs"]
