"""Callers and their API keys.

A key is shown once, at creation; only its sha256 is stored. Lookups are cached for a few
seconds so the hot path does not hit the database, which bounds how long a revoked key
keeps working (`caller_cache_ttl_s`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, select

from gateway.errors import BadRequest, Forbidden, Unauthenticated
from gateway.store.models import ApiKey, Caller

KEY_PREFIX = "gg_"
ROLES = ("bot", "compliance_officer", "security_admin", "admin")


class AuthenticatedCaller(BaseModel, frozen=True):
    id: str
    roles: tuple[str, ...]
    key_id: str

    def require(self, *roles: str) -> None:
        if not set(roles) & set(self.roles):
            raise Forbidden(f"this endpoint needs one of the roles: {', '.join(roles)}", code="insufficient_role")


class KeyInfo(BaseModel):
    key_id: str
    caller: str
    roles: list[str]
    created_at: datetime
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(engine: Engine, *, caller: str, roles: list[str]) -> tuple[str, KeyInfo]:
    """Create (or update the roles of) a caller and issue a new key. Returns the key in clear, once."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise BadRequest(f"roles must be chosen from {', '.join(ROLES)}; got {', '.join(unknown) or 'none'}")
    if not caller or len(caller) > 128:
        raise BadRequest("caller must be 1 to 128 characters")
    now = datetime.now(UTC)
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    with Session(engine) as session, session.begin():
        existing = session.get(Caller, caller)
        if existing is None:
            session.add(Caller(id=caller, roles=sorted(set(roles)), created_at=now))
        else:
            existing.roles = sorted(set(roles))
            session.add(existing)
        session.flush()  # the caller row must exist before the key that references it
        session.add(ApiKey(key_id=key_id, caller_id=caller, key_hash=hash_key(key), created_at=now))
    return key, KeyInfo(key_id=key_id, caller=caller, roles=sorted(set(roles)), created_at=now, revoked_at=None)


def list_keys(engine: Engine) -> list[KeyInfo]:
    with Session(engine) as session:
        rows = session.exec(select(ApiKey, Caller).where(ApiKey.caller_id == Caller.id).order_by(ApiKey.created_at))
        return [
            KeyInfo(key_id=k.key_id, caller=c.id, roles=list(c.roles), created_at=k.created_at, revoked_at=k.revoked_at)
            for k, c in rows
        ]


def revoke_key(engine: Engine, key_id: str) -> bool:
    with Session(engine) as session, session.begin():
        key = session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None:
            return False
        key.revoked_at = datetime.now(UTC)
        session.add(key)
        return True


NEGATIVE_CACHE_MAX = 10_000


@dataclass
class Authenticator:
    engine: Engine
    cache_ttl_s: float
    # Known keys and unknown ones are cached apart, so a flood of made-up keys can only evict
    # other made-up keys, never a real caller.
    _cache: dict[str, tuple[float, AuthenticatedCaller]] = field(default_factory=dict)
    _unknown: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def authenticate(self, authorization: str | None) -> AuthenticatedCaller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
        key = authorization[7:].strip()
        if not key.startswith(KEY_PREFIX):
            raise Unauthenticated("invalid API key")
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] >= now:
            return cached[1]
        if self._unknown.get(digest, 0.0) >= now:
            raise Unauthenticated("invalid API key")
        caller = self._lookup(digest)
        if caller is None:
            self._unknown[digest] = now + self.cache_ttl_s
            while len(self._unknown) > NEGATIVE_CACHE_MAX:
                self._unknown.popitem(last=False)
            raise Unauthenticated("invalid API key")
        self._cache[digest] = (now + self.cache_ttl_s, caller)
        return caller

    def _lookup(self, digest: str) -> AuthenticatedCaller | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(ApiKey, Caller).where(ApiKey.key_hash == digest, ApiKey.caller_id == Caller.id)
            ).first()
        if row is None or row[0].revoked_at is not None:
            return None
        key, caller = row
        return AuthenticatedCaller(id=caller.id, roles=tuple(caller.roles), key_id=key.key_id)
