"""Payment card numbers of every major scheme, in English and Chinese text: CREDIT_CARD.

One recognizer for both languages (an instance per language, the same English + Chinese
context words in each), replacing Presidio's `CreditCardRecognizer` and the former
`CnBankCardRecognizer`: a debit card, a credit card and a 银行卡 need the same policy action,
and two recognizers for one value meant two scores and two explanations for one number.

A candidate is 12-19 digits, compact or in groups of 2-13 digits joined by one kind of
separator (space or dash): "4111111111111111", "4111 1111 1111 1111", "3782-822463-10005",
"6222 0202 0011 2345 678". It is then matched against the issuer ranges (IIN prefix and
lengths) of `SCHEMES`:

| scheme | prefixes | lengths | Luhn |
|---|---|---|---|
| Visa | 4 | 13, 16, 19 | yes |
| Mastercard | 51-55, 2221-2720 | 16 | yes |
| American Express | 34, 37 | 15 | yes |
| Discover | 6011, 644-649, 65 | 16-19 | yes |
| JCB | 3528-3589 | 16-19 | yes |
| Diners Club | 300-305, 36, 38, 39 | 14-16 | yes |
| UnionPay | 62 | 16-19 | not always |
| Maestro | 50, 56-69 | 12-19 | yes |

Scores: a known scheme with a valid Luhn digit: 1.0 (0.5 for 12-13 digit numbers written
without separators, which are as often order or account numbers: a context word lifts them).
UnionPay does not guarantee Luhn (some domestic debit ranges carry none), so a 62 number that
fails Luhn scores 0.3 and needs a context word (卡号, 银行卡, card … +0.35). Any other
number of a Luhn scheme that fails Luhn is dropped: one mistyped digit makes it no working
card, and 9 in 10 random digit strings fail. A Luhn-valid 16-19 digit number outside the
known ranges (old domestic ranges such as 9558…, 95599…) scores 0.3: reported next to a
context word only. Digits grouped after the first 12-19 (a CVV, "4111 1111 1111 1111 123")
are cut off when the whole fails, and so is one group before it; no more (each cut is one more
chance in ten that a Luhn-invalid number holds a valid shorter one: measured on the generated
set, a 19-digit "6490 2327 3000 0000 123" can still read as a 16-digit card plus a CVV).

An 18-digit number shaped like a resident ID (birth date in place) is left to
`CnResidentIdRecognizer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex
from presidio_analyzer import EntityRecognizer, Pattern, RecognizerResult

from gateway.pii.recognizers.base import L_GUARD, R_GUARD, GovPatternRecognizer, explained_result
from gateway.pii.recognizers.checksums import luhn_valid
from gateway.pii.recognizers.zh.resident_id import CnResidentIdRecognizer

_RESIDENT_ID = regex.compile(CnResidentIdRecognizer.PATTERNS[0].regex)


@dataclass(frozen=True)
class CardScheme:
    name: str
    # Inclusive IIN prefix ranges, compared on the prefix's own length.
    ranges: tuple[tuple[str, str], ...]
    lengths: frozenset[int]
    luhn: bool = True

    def matches(self, digits: str) -> bool:
        if len(digits) not in self.lengths:
            return False
        return any(lo <= digits[: len(lo)] <= hi for lo, hi in self.ranges)


def _lengths(lo: int, hi: int) -> frozenset[int]:
    return frozenset(range(lo, hi + 1))


# Order matters: the first scheme that matches names the number (Maestro's 56-69 overlaps
# Discover's 65 and UnionPay's 62, so it comes last).
SCHEMES: tuple[CardScheme, ...] = (
    CardScheme("visa", (("4", "4"),), frozenset({13, 16, 19})),
    CardScheme("mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    CardScheme("amex", (("34", "34"), ("37", "37")), frozenset({15})),
    CardScheme("discover", (("6011", "6011"), ("644", "649"), ("65", "65")), _lengths(16, 19)),
    CardScheme("jcb", (("3528", "3589"),), _lengths(16, 19)),
    CardScheme("diners", (("300", "305"), ("36", "36"), ("38", "39")), _lengths(14, 16)),
    CardScheme("unionpay", (("62", "62"),), _lengths(16, 19), luhn=False),
    CardScheme("maestro", (("50", "50"), ("56", "69")), _lengths(12, 19)),
)

# Context words, English and Chinese, for both instances (a Chinese message may say "card",
# an English one "卡号"). No bare "卡": 会员卡 (membership card) numbers are not payment cards.
CARD_CONTEXT = [
    "card", "credit", "debit", "visa", "mastercard", "master card", "amex", "american express",
    "discover", "jcb", "diners", "maestro", "unionpay", "union pay", "cc", "pan", "payment",
    "卡号", "银行卡", "信用卡", "借记卡", "储蓄卡", "银联", "卡片", "刷卡", "账号", "账户",
]

class PaymentCardRecognizer(GovPatternRecognizer):
    """CREDIT_CARD: scheme ranges and lengths, Luhn where the scheme uses it (see module doc)."""

    ENTITY = "CREDIT_CARD"
    PATTERNS = [
        Pattern("card_compact", L_GUARD + r"\d{12,19}" + R_GUARD, 1.0),
        Pattern("card_grouped", L_GUARD + r"\d{2,6}(?:(?P<sep>[ -])\d{2,13})(?:(?P=sep)\d{2,13}){0,6}" + R_GUARD, 1.0),
    ]
    CONTEXT = CARD_CONTEXT
    VALID_SCORE = 1.0
    SHORT_SCORE = 0.5       # 12-13 compact digits, Luhn holds
    UNVERIFIED_SCORE = 0.3  # UnionPay without Luhn; Luhn-valid outside the known ranges

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        results: list[RecognizerResult] = []
        for pattern, rx in self._compiled:
            for match in rx.finditer(text):
                groups = [m.span() for m in regex.finditer(r"\d+", text, pos=match.start(), endpos=match.end())]
                results.extend(self._cards_in(text, groups, pattern))
        return EntityRecognizer.remove_duplicates(results)

    def _cards_in(self, text: str, groups: list[tuple[int, int]], pattern: Pattern) -> list[RecognizerResult]:
        """The longest run of whole groups that is a card, dropping at most one group at
        either end ("Qty 12 4111 1111 1111 1111 123": the quantity and the CVV are not the
        card). Each cut is another chance for a Luhn-invalid number to hold a valid shorter
        one (1 in 10), so no more than one group goes at each end."""
        last = len(groups) - 1
        spans = sorted(
            ((i, j) for i in range(min(2, len(groups))) for j in range(max(i, last - 1), len(groups))),
            key=lambda ij: groups[ij[0]][0] - groups[ij[1]][1],
        )
        for i, j in spans:
            start, stop = groups[i][0], groups[j][1]
            digits = "".join(c for c in text[start:stop] if c.isdigit())
            if not 12 <= len(digits) <= 19:
                continue
            verdict = self.judge(digits, grouped=i != j)
            if verdict is None:
                continue
            scheme, score, valid = verdict
            explanation = self.build_regex_explanation(
                self.name, f"{pattern.name}:{scheme}", pattern.regex, pattern.score, valid, self.global_regex_flags
            )
            explanation.score = score
            found = explained_result(self, self.ENTITY, start, stop, score, explanation, "checksum")
            return [found]
        return []

    @classmethod
    def judge(cls, digits: str, *, grouped: bool) -> tuple[str, float, bool] | None:
        """(scheme, score, Luhn holds) for a card's digits, or None when it is no card."""
        if len(digits) == 18 and _RESIDENT_ID.fullmatch(digits):
            return None
        luhn = luhn_valid(digits)
        for scheme in SCHEMES:
            if not scheme.matches(digits):
                continue
            if luhn:
                short = len(digits) <= 13 and not grouped
                return scheme.name, cls.SHORT_SCORE if short else cls.VALID_SCORE, True
            if not scheme.luhn:
                return scheme.name, cls.UNVERIFIED_SCORE, False
            return None
        if luhn and len(digits) >= 16:
            return "other", cls.UNVERIFIED_SCORE, True
        return None
