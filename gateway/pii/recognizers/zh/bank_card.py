"""Bank card numbers (银行卡), Luhn-validated, reported as CREDIT_CARD."""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern

from gateway.pii.recognizers.base import L_GUARD, R_GUARD, GovPatternRecognizer
from gateway.pii.recognizers.checksums import luhn_valid
from gateway.pii.recognizers.zh.resident_id import CnResidentIdRecognizer

_RESIDENT_ID = CnResidentIdRecognizer.PATTERNS[0].regex


class CnBankCardRecognizer(GovPatternRecognizer):
    """16-19 digit UnionPay / domestic debit and credit cards.

    Entity type is CREDIT_CARD on purpose: the policy maps entity types to actions, and a
    debit card number needs the same action as a credit card number (mask, keep last 4).
    One type means one rule; the recognizer name in the explanation still tells them apart.

    An 18-digit value shaped like a resident ID (birth date in place) is left to
    `CnResidentIdRecognizer`. Digits may be grouped by spaces or dashes (4-4-4-4…). Luhn holds: 0.9 (not 1.0 — one
    random digit string in ten passes Luhn). Luhn fails: 0.2, kept so a context word
    ("银行卡", "卡号") can still lift it over the threshold.
    """

    ENTITY = "CREDIT_CARD"
    PATTERNS = [
        Pattern("cn_bank_card", L_GUARD + r"[1-9]\d{15,18}" + R_GUARD, 0.4),
        Pattern("cn_bank_card_grouped", L_GUARD + r"[1-9]\d{3}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?" + R_GUARD, 0.4),
    ]
    CONTEXT = ["银行卡", "卡号", "储蓄卡", "借记卡", "信用卡", "银联", "账号", "账户", "card"]
    VALID_SCORE = 0.9
    INVALID_SCORE = 0.2

    def invalidate_result(self, pattern_text: str) -> bool:
        # An 18-digit number with a birth date in the ID position is a resident ID (even with
        # a bad check digit); domestic cards are 16 or 19 digits almost without exception.
        return regex.fullmatch(_RESIDENT_ID, pattern_text) is not None

    def validate_result(self, pattern_text: str) -> bool:
        return luhn_valid(pattern_text.replace(" ", "").replace("-", ""))
