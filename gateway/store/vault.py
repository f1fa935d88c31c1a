"""The pseudonym vault's table: sealed tokens read per conversation and purged when expired.

The vault (gateway/pii/vault.py) holds the keys and the cache; this is only its database I/O.
New entries are written by the ledger, in the transaction of the record that created them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete
from sqlmodel import Session, select

from gateway.store.models import VaultEntry


class VaultStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def unexpired(self, conversation_key: str, now: datetime) -> list[tuple[str, bytes]]:
        """(token, ciphertext) of the conversation's entries that have not expired (blocking)."""
        with Session(self._engine) as session:
            rows = session.exec(select(VaultEntry.token, VaultEntry.ciphertext).where(
                VaultEntry.conversation_key == conversation_key, VaultEntry.expires_at > now))
            return [(token, ciphertext) for token, ciphertext in rows]

    def purge_expired(self, now: datetime) -> int:
        with Session(self._engine) as session, session.begin():
            result = session.exec(delete(VaultEntry).where(VaultEntry.expires_at <= now))
            return result.rowcount or 0
