"""Callers and their API keys: the key table's I/O.

Authentication (gateway/auth.py) makes keys, hashes them and caches lookups; this only stores
and finds them, by the hash it is given: a key in clear never reaches the store. Every method
blocks; the authenticator calls `find_by_hash` from a worker thread.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, select

from gateway.store.models import ApiKey, Caller


class KeyInfo(BaseModel):
    key_id: str
    caller: str
    roles: list[str]
    created_at: datetime
    revoked_at: datetime | None


class KeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find_by_hash(self, key_hash: str) -> KeyInfo | None:
        """The key with this hash and its caller's roles, revoked or not; None if there is none."""
        with Session(self._engine) as session:
            row = session.exec(
                select(ApiKey, Caller).where(ApiKey.key_hash == key_hash, ApiKey.caller_id == Caller.id)
            ).first()
            return None if row is None else _info(*row)

    def create(self, *, key_id: str, key_hash: str, caller: str, roles: list[str], created_at: datetime) -> KeyInfo:
        """Store a new key; the caller is created, or its roles replaced by `roles`."""
        with Session(self._engine) as session, session.begin():
            existing = session.get(Caller, caller)
            if existing is None:
                session.add(Caller(id=caller, roles=list(roles), created_at=created_at))
            else:
                existing.roles = list(roles)
                session.add(existing)
            session.flush()  # the caller row must exist before the key that references it
            session.add(ApiKey(key_id=key_id, caller_id=caller, key_hash=key_hash, created_at=created_at))
        return KeyInfo(key_id=key_id, caller=caller, roles=roles, created_at=created_at, revoked_at=None)

    def all(self) -> list[KeyInfo]:
        """Every key, oldest first (ids, callers, roles, state; the hashes stay here)."""
        with Session(self._engine) as session:
            rows = session.exec(select(ApiKey, Caller).where(ApiKey.caller_id == Caller.id).order_by(ApiKey.created_at))
            return [_info(key, caller) for key, caller in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke an active key; False when there is no such key or it was already revoked."""
        with Session(self._engine) as session, session.begin():
            key = session.get(ApiKey, key_id)
            if key is None or key.revoked_at is not None:
                return False
            key.revoked_at = datetime.now(UTC)
            session.add(key)
            return True


def _info(key: ApiKey, caller: Caller) -> KeyInfo:
    return KeyInfo(key_id=key.key_id, caller=caller.id, roles=list(caller.roles), created_at=key.created_at,
                   revoked_at=key.revoked_at)
