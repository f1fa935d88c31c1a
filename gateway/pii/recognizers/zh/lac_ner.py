"""Chinese PERSON / LOCATION / ORGANIZATION from Baidu LAC (run once in the NLP pass)."""

from __future__ import annotations

from gateway.pii.recognizers.base import NerRecognizer


class LacNerRecognizer(NerRecognizer):
    """Maps LAC's PER/LOC/ORG to GovGate's types.

    Single-character PER spans are dropped: LAC labels surnames used alone ("王说…",
    "找李") as PER, and a lone surname identifies nobody.
    """

    LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
    SCORE = 0.85

    def keep(self, text: str, start: int, end: int) -> bool:
        return end - start > 1
