"""Put the caller's values back where the model wrote pseudonym tokens.

Streaming: a token may arrive split over chunks ("<PER" + "SON_1>"). `StreamRestorer` holds
back only the longest tail that is still the beginning of a known token, and emits the rest
at once, so a stream stays a stream and time-to-first-token stays the upstream's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def restore(text: str, tokens: Mapping[str, str]) -> str:
    if not tokens or "<" not in text:
        return text
    return _pattern(tokens).sub(lambda match: tokens[match.group(0)], text)


def _pattern(tokens: Mapping[str, str]) -> re.Pattern[str]:
    # Longest first, so "<PERSON_12>" is not read as "<PERSON_1>" followed by "2>".
    return re.compile("|".join(re.escape(token) for token in sorted(tokens, key=len, reverse=True)))


class StreamRestorer:
    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = dict(tokens)
        self._pattern = _pattern(self._tokens) if self._tokens else None
        self._prefixes = {token[:i] for token in self._tokens for i in range(1, len(token))}
        self._longest = max((len(token) for token in self._tokens), default=0)
        self._held = ""

    def feed(self, text: str) -> str:
        """Return what can be sent now; keep a possible token start for the next chunk."""
        if self._pattern is None:
            return text
        buffer = self._held + text
        restored = self._pattern.sub(lambda match: self._tokens[match.group(0)], buffer)
        hold = self._held_tail(restored)
        self._held = restored[len(restored) - hold:] if hold else ""
        return restored[: len(restored) - hold]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held

    def _held_tail(self, text: str) -> int:
        for size in range(min(len(text), self._longest - 1), 0, -1):
            if text[-size:] in self._prefixes:
                return size
        return 0
