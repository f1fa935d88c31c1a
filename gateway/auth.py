"""Callers and their API keys.

A key is shown once, at creation; only its sha256 is stored (by `gateway.store.keys`, the
only module that touches the key table). Lookups are cached for a few seconds so the hot
path does not hit the database, which bounds how long a revoked key keeps working
(`caller_cache_ttl_s`); a cache miss queries in a worker thread, never on the event loop.
Failed authentications are limited per client address (`PreAuthLimiter`): an address past
its limit gets 429 before its key is even looked up.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio.to_thread
from cachetools import TTLCache
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel

from gateway.errors import BadRequest, Forbidden, RateLimited, Unauthenticated
from gateway.limits import client_address
from gateway.store.keys import KeyInfo, KeyStore

KEY_PREFIX = "gg_"
ROLES = ("bot", "compliance_officer", "security_admin", "admin")


class AuthenticatedCaller(BaseModel, frozen=True):
    id: str
    roles: tuple[str, ...]
    key_id: str

    def require(self, *roles: str) -> None:
        if not set(roles) & set(self.roles):
            raise Forbidden(f"this endpoint needs one of the roles: {', '.join(roles)}", code="insufficient_role")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(keys: KeyStore, *, caller: str, roles: list[str]) -> tuple[str, KeyInfo]:
    """Create (or update the roles of) a caller and issue a new key. Returns the key in clear, once.

    Blocking (a database write): the CLI and tests call it; listing and revoking keys are
    `KeyStore.all` and `KeyStore.revoke`, which need no key logic.
    """
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise BadRequest(f"roles must be chosen from {', '.join(ROLES)}; got {', '.join(unknown) or 'none'}")
    if not caller or len(caller) > 128:
        raise BadRequest("caller must be 1 to 128 characters")
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    info = keys.create(key_id=key_id, key_hash=hash_key(key), caller=caller, roles=sorted(set(roles)),
                       created_at=datetime.now(UTC))
    return key, info


# Entries each lookup cache holds; beyond, the least recently used go first.
NEGATIVE_CACHE_MAX = 10_000
CALLER_CACHE_MAX = 10_000


class PreAuthLimited(RateLimited):
    default_code = "preauth_rate_limited"


class PreAuthLimiter:
    """Failed authentications per client address, in a moving one-minute window (in memory).

    Only failures count, so a busy caller with a good key is never slowed; an address that
    keeps sending bad or missing keys is refused before any lookup until its window clears.
    """

    def __init__(self, failures_per_minute: int) -> None:
        if failures_per_minute < 1:
            raise ValueError("failures_per_minute must be at least 1")
        self._item = RateLimitItemPerMinute(failures_per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, address: str) -> None:
        if not self._limiter.test(self._item, address):
            reset = self._limiter.get_window_stats(self._item, address).reset_time
            retry_after = max(0.0, reset - time.time())
            raise PreAuthLimited(
                f"too many failed authentications from this address; retry after {retry_after:.0f}s",
                extra={"retry_after_s": round(retry_after, 2)},
            )

    def failed(self, address: str) -> None:
        self._limiter.hit(self._item, address)


@dataclass
class Authenticator:
    keys: KeyStore
    cache_ttl_s: float
    preauth: PreAuthLimiter | None = None
    # Known keys and unknown ones are cached apart, so a flood of made-up keys can only evict
    # other made-up keys, never a real caller. Both are read and written on the event loop
    # only (the worker thread does just the lookup), so they need no lock.
    _cache: TTLCache[str, AuthenticatedCaller] = field(init=False)
    _unknown: TTLCache[str, bool] = field(init=False)

    def __post_init__(self) -> None:
        self._cache = TTLCache(CALLER_CACHE_MAX, ttl=self.cache_ttl_s)
        self._unknown = TTLCache(NEGATIVE_CACHE_MAX, ttl=self.cache_ttl_s)

    async def authenticate(self, authorization: str | None, *, client: str | None = None) -> AuthenticatedCaller:
        """The caller a bearer key belongs to. Raises Unauthenticated, or PreAuthLimited (429).

        `client` is the peer address (default: the current request's, see gateway.limits).
        """
        address = client if client is not None else client_address()
        digest = _digest(authorization)
        cached = self._cache.get(digest) if digest else None
        if cached is not None:
            return cached
        if self.preauth is not None and address is not None:
            self.preauth.check(address)
        try:
            return await self._resolve(authorization, digest)
        except Unauthenticated:
            if self.preauth is not None and address is not None:
                self.preauth.failed(address)
            raise

    async def _resolve(self, authorization: str | None, digest: str | None) -> AuthenticatedCaller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
        if digest is None:
            raise Unauthenticated("invalid API key")
        if digest in self._unknown:
            raise Unauthenticated("invalid API key")
        # In a worker thread: a database that is busy (a locked SQLite file, a slow
        # PostgreSQL) must never hold the event loop.
        caller = await anyio.to_thread.run_sync(self._lookup, digest)
        if caller is None:
            self._unknown[digest] = True
            raise Unauthenticated("invalid API key")
        self._cache[digest] = caller
        return caller

    def _lookup(self, digest: str) -> AuthenticatedCaller | None:
        """The caller of an active key with this digest (blocking: runs in a worker thread)."""
        info = self.keys.find_by_hash(digest)
        if info is None or info.revoked_at is not None:
            return None
        return AuthenticatedCaller(id=info.caller, roles=tuple(info.roles), key_id=info.key_id)


def _digest(authorization: str | None) -> str | None:
    """The sha256 of a well-formed bearer key, else None."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    key = authorization[7:].strip()
    return hash_key(key) if key.startswith(KEY_PREFIX) else None
