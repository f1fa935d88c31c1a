"""The pseudonym vault: each conversation's token table, encrypted at rest, expiring with it.

Values are stored only as Fernet ciphertext (key from configuration) plus a keyed HMAC
digest; the conversation is addressed by a keyed HMAC of (caller, conversation id, customer
id), so no caller can restore another caller's tokens, nor a customer another customer's.
Which of a table's tokens go back into an answer is the policy's decision (`restore_pii`).
Tables are cached in memory for the conversation's lifetime; new entries are persisted in
the same transaction as the decision record that created them (see DecisionLedger.record).
The vault never talks to the database itself: it reads through a `VaultRows` (the store's
`gateway.store.vault.VaultStore`) and hands sealed entries to the ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cachetools import TTLCache
from cryptography.fernet import Fernet, InvalidToken

from gateway.keys import KeyedDigest
from gateway.pii.pseudonyms import ConversationPseudonyms

CACHED_CONVERSATIONS = 5_000


@dataclass(frozen=True)
class SealedPseudonym:
    """One token of a conversation as it is stored: the value only encrypted and digested."""

    conversation_key: str
    token: str
    value_digest: str
    ciphertext: bytes
    expires_at: datetime


class VaultRows(Protocol):
    """Where sealed pseudonyms are read from and purged (the store implements it)."""

    def unexpired(self, conversation_key: str, now: datetime) -> Iterable[tuple[str, bytes]]: ...

    def purge_expired(self, now: datetime) -> int: ...


class PseudonymVault:
    def __init__(self, *, rows: VaultRows, fernet_key: bytes, digest: KeyedDigest, ttl_s: int) -> None:
        self._rows = rows
        self._fernet = Fernet(fernet_key)
        self._digest = digest
        self._ttl_s = ttl_s
        # A loaded table is kept for ttl_s; beyond CACHED_CONVERSATIONS the least recently used goes.
        self._cache: TTLCache[str, ConversationPseudonyms] = TTLCache(CACHED_CONVERSATIONS, ttl=ttl_s)
        # load() runs in worker threads and cachetools caches are not thread-safe: one lock
        # keeps the cache consistent and makes a conversation load once even when two of its
        # requests arrive together.
        self._lock = threading.Lock()

    def conversation_key(self, caller: str, conversation_id: str, customer_id: str | None) -> str:
        """One table per caller, conversation and customer: a conversation id reused with
        another customer id (or none) sees none of the first customer's values."""
        return self._digest(f"{caller}\x00{conversation_id}\x00{customer_id or ''}\x00{customer_id is not None}")

    def ephemeral(self, decision_id: str) -> ConversationPseudonyms:
        """A table for a request that names no conversation: lives as long as the request."""
        return ConversationPseudonyms(conversation_key=f"request:{decision_id}", ephemeral=True)

    def load(self, conversation_key: str) -> ConversationPseudonyms:
        """The conversation's table (blocking on a cache miss: call it from a worker thread)."""
        with self._lock:
            return self._load(conversation_key)

    def _load(self, conversation_key: str) -> ConversationPseudonyms:
        cached = self._cache.get(conversation_key)
        if cached is not None:
            return cached
        table = ConversationPseudonyms(conversation_key=conversation_key)
        for token, ciphertext in self._rows.unexpired(conversation_key, _utcnow()):
            try:
                table.add_existing(token, self._fernet.decrypt(ciphertext).decode())
            except InvalidToken:
                continue  # written under another key: unusable, treat as absent
        self._cache[conversation_key] = table
        return table

    def entries_to_persist(self, table: ConversationPseudonyms) -> list[SealedPseudonym]:
        if table.ephemeral:
            table.take_new()
            return []
        expires = _utcnow() + timedelta(seconds=self._ttl_s)
        return [
            SealedPseudonym(
                conversation_key=table.conversation_key,
                token=token,
                value_digest=self._digest(value),
                ciphertext=self._fernet.encrypt(value.encode()),
                expires_at=expires,
            )
            for token, value in table.take_new()
        ]

    def purge_expired(self) -> int:
        return self._rows.purge_expired(_utcnow())


def _utcnow() -> datetime:
    return datetime.now(UTC)
