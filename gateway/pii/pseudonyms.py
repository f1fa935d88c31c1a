"""A conversation's pseudonym table: value <-> token, e.g. "Alice Chen" <-> "<PERSON_1>".

The same value always gets the same token within a conversation, so the model can keep
track of who is who across turns, and the gateway can restore values in the answer.
New entries are collected so the vault can persist them with the decision record.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from dataclasses import dataclass, field

TOKEN_PATTERN = re.compile(r"<([A-Z][A-Z0-9_]*)_(\d+)>")


@dataclass
class ConversationPseudonyms:
    conversation_key: str
    # A table for one request that named no conversation: never persisted.
    ephemeral: bool = False
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _by_token: dict[str, str] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)
    _new: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_existing(self, token: str, value: str) -> None:
        match = TOKEN_PATTERN.fullmatch(token)
        if match is None:
            return
        entity_type, number = match.group(1), int(match.group(2))
        self._by_value[(entity_type, value)] = token
        self._by_token[token] = value
        self._counters[entity_type] = max(self._counters.get(entity_type, 0), number)

    def token_for(self, entity_type: str, value: str) -> str:
        with self._lock:
            token = self._by_value.get((entity_type, value))
            if token is None:
                number = self._counters.get(entity_type, 0) + 1
                self._counters[entity_type] = number
                token = f"<{entity_type}_{number}>"
                self._by_value[(entity_type, value)] = token
                self._by_token[token] = value
                self._new.append((token, value))
            return token

    @property
    def tokens(self) -> dict[str, str]:
        """token -> value, for restoring the answer."""
        return dict(self._by_token)

    def restorable(self, entity_types: Collection[str]) -> dict[str, str]:
        """token -> value for the tokens of the given entity types only (what the policy lets back)."""
        allowed = frozenset(entity_types)
        if not allowed:
            return {}
        return {token: value for token, value in self._by_token.items()
                if (match := TOKEN_PATTERN.fullmatch(token)) is not None and match.group(1) in allowed}

    def take_new(self) -> list[tuple[str, str]]:
        with self._lock:
            new, self._new = self._new, []
            return new
