"""Console sign-in: argon2id passwords, lock-out, server-side sessions with idle timeout.

A session is a random cookie; the store keeps only its sha256, with a CSRF token the pages
put in every form. Nothing here accepts a caller's API key: the console and the proxy have
separate doors (the proxy reads only `Authorization`, the console only its cookie).

Failed sign-ins are recorded with the username only when it names an existing user: what
someone types into a username field may be anything (an e-mail address, a name).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.config import Settings
from gateway.store.console import ConsoleStore, ConsoleUserInfo, SessionInfo

CONSOLE_ROLES = ("compliance_officer", "security_admin", "admin")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # argon2 takes any length; a megabyte of "password" is an attack
UNKNOWN_USER = "(unknown)"
# Re-writing last_seen on every click would make every page view a database write.
TOUCH_EVERY = timedelta(seconds=30)


class UserError(ValueError):
    """A user cannot be created as asked (the message says why, never the password)."""


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in: a cookie value and the session, or why not (`failure`)."""

    token: str | None = None
    session: SessionInfo | None = None
    failure: str | None = None  # "invalid" or "locked": the page shows one message for both


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleAuth:
    def __init__(self, store: ConsoleStore, *, max_failures: int, lockout: timedelta, idle_timeout: timedelta,
                 max_age: timedelta, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self.max_failures = max_failures
        self.lockout = lockout
        self.idle_timeout = idle_timeout
        self.max_age = max_age
        self._hasher = hasher or PasswordHasher()
        # Verified against when the user does not exist, so both cost the same time.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(cls, settings: Settings, store: ConsoleStore) -> ConsoleAuth:
        return cls(store, max_failures=settings.console_max_failures,
                   lockout=timedelta(seconds=settings.console_lockout_s),
                   idle_timeout=timedelta(seconds=settings.console_idle_timeout_s),
                   max_age=timedelta(seconds=settings.console_max_age_s))

    def create_user(self, *, username: str, role: str, password: str, now: datetime) -> ConsoleUserInfo:
        if not USERNAME.fullmatch(username):
            raise UserError("username must be 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
                            "starting with a letter or digit")
        if role not in CONSOLE_ROLES:
            raise UserError(f"role must be one of: {', '.join(CONSOLE_ROLES)}")
        if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
            raise UserError(f"the password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")
        return self.store.create_user(username=username, role=role, password_hash=self._hasher.hash(password),
                                      now=now)

    def sign_in(self, username: str, password: str, *, now: datetime) -> SignIn:
        """Every path verifies one argon2 hash (a dummy one when there is no account to check),
        so the time taken tells nothing about which usernames exist or are locked."""
        user = self.store.user(username) if USERNAME.fullmatch(username) else None
        if user is None or len(password) > MAX_PASSWORD_CHARS:
            return self._refuse(UNKNOWN_USER, "invalid", password, now)
        if user.disabled:
            return self._refuse(user.username, "disabled", password, now)
        attempt = self.store.reserve_attempt(user.username, now=now)
        if attempt is None or attempt > self.max_failures:
            # Locked, or guesses sent in parallel past the allowance: they are not even checked.
            return self._refuse(user.username, "locked", password, now)
        if not self._verify(user.password_hash, password):
            self.store.add_event(at=now, username=user.username, action="sign_in_failed",
                                 detail={"why": "invalid", "attempts": attempt})
            if attempt == self.max_failures:
                self.store.lock(user.username, until=now + self.lockout)
                self.store.add_event(at=now, username=user.username, action="locked_out",
                                     detail={"until": (now + self.lockout).isoformat()})
                return SignIn(failure="locked")
            return SignIn(failure="invalid")
        self.store.reset_failures(user.username)
        self.store.end_idle_sessions(seen_before=now - self.idle_timeout)  # sessions nobody can use any more
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.store.create_session(token_hash=token_hash(token), username=user.username, csrf_token=csrf, now=now)
        self.store.add_event(at=now, username=user.username, action="sign_in")
        return SignIn(token=token, session=self.store.session(token_hash(token)))

    def _refuse(self, username: str, why: str, password: str, now: datetime) -> SignIn:
        self._verify(self._dummy_hash, password[:MAX_PASSWORD_CHARS])
        self.store.add_event(at=now, username=username, action="sign_in_failed", detail={"why": why})
        return SignIn(failure="locked" if why == "locked" else "invalid")

    def session(self, token: str | None, *, now: datetime) -> SessionInfo | None:
        """The live session this cookie opens, or None (unknown, idle too long, too old, user disabled)."""
        if not token or len(token) > 128:
            return None
        hashed = token_hash(token)
        found = self.store.session(hashed)
        if found is None:
            return None
        if found.disabled or now - found.last_seen_at > self.idle_timeout or now - found.created_at > self.max_age:
            self.store.end_session(hashed)
            return None
        if now - found.last_seen_at > TOUCH_EVERY:
            self.store.touch(hashed, now)
        return found

    def sign_out(self, token: str, *, username: str, now: datetime) -> None:
        self.store.end_session(token_hash(token))
        self.store.add_event(at=now, username=username, action="sign_out")

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
