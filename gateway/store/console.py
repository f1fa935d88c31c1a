"""The console's tables: users, sessions and events (migration 0007).

Password hashing, lock-out and timeouts are gateway/console/auth.py's; this only stores
and finds what it is given — a password or a session cookie in clear never reaches it.
Every method blocks; the console calls them from a worker thread.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from gateway.store.models import ConsoleEvent, ConsoleSession, ConsoleUser


class UserExists(Exception):
    """A console user of that name exists already."""


class ConsoleUserInfo(BaseModel):
    username: str
    role: str
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None
    lang: str
    created_at: datetime


class StoredUser(ConsoleUserInfo):
    password_hash: str


class SessionInfo(BaseModel):
    username: str
    role: str
    lang: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    disabled: bool


class EventInfo(BaseModel):
    seq: int
    at: datetime
    username: str
    action: str
    detail: dict[str, Any]


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; everything here is stored in UTC.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _user(row: ConsoleUser) -> StoredUser:
    return StoredUser(username=row.username, role=row.role, disabled=row.disabled,
                      failed_attempts=row.failed_attempts, locked_until=_utc(row.locked_until), lang=row.lang,
                      created_at=_utc(row.created_at), password_hash=row.password_hash)


class ConsoleStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- users ---------------------------------------------------------------------------

    def create_user(self, *, username: str, role: str, password_hash: str, now: datetime) -> ConsoleUserInfo:
        try:
            with Session(self._engine) as session, session.begin():
                session.add(ConsoleUser(username=username, role=role, password_hash=password_hash, created_at=now))
        except IntegrityError:
            raise UserExists(username) from None
        return ConsoleUserInfo(username=username, role=role, disabled=False, failed_attempts=0, locked_until=None,
                               lang="en", created_at=now)

    def user(self, username: str) -> StoredUser | None:
        with Session(self._engine) as session:
            row = session.get(ConsoleUser, username)
            return None if row is None else _user(row)

    def users(self) -> list[ConsoleUserInfo]:
        with Session(self._engine) as session:
            rows = session.exec(select(ConsoleUser).order_by(ConsoleUser.username))
            return [ConsoleUserInfo(**_user(r).model_dump(exclude={"password_hash"})) for r in rows]

    def disable(self, username: str) -> bool:
        """Disable the user and end all its sessions; False when there is no such active user."""
        with Session(self._engine) as session, session.begin():
            row = session.get(ConsoleUser, username)
            if row is None or row.disabled:
                return False
            row.disabled = True
            session.add(row)
            session.execute(delete(ConsoleSession).where(ConsoleSession.username == username))
            return True

    def reserve_attempt(self, username: str, *, now: datetime) -> int | None:
        """Count a sign-in attempt before its password is checked, in one statement, so parallel
        guesses each take their own place in the count. The attempt's number, or None when the
        account is locked (or gone)."""
        statement = (update(ConsoleUser).where(ConsoleUser.username == username,
                                               or_(ConsoleUser.locked_until.is_(None),  # type: ignore[union-attr]
                                                   ConsoleUser.locked_until <= now))
                     .values(failed_attempts=ConsoleUser.failed_attempts + 1)
                     .returning(ConsoleUser.failed_attempts))
        with Session(self._engine) as session, session.begin():
            return session.execute(statement).scalar()

    def lock(self, username: str, *, until: datetime) -> None:
        """Lock the account until then; the count starts again after the lock."""
        with Session(self._engine) as session, session.begin():
            session.execute(update(ConsoleUser).where(ConsoleUser.username == username)
                            .values(locked_until=until, failed_attempts=0))

    def unlock(self, username: str) -> bool:
        with Session(self._engine) as session, session.begin():
            result = session.execute(update(ConsoleUser).where(ConsoleUser.username == username)
                                     .values(locked_until=None, failed_attempts=0))
            return bool(result.rowcount)

    def reset_failures(self, username: str) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(update(ConsoleUser).where(ConsoleUser.username == username)
                            .values(failed_attempts=0, locked_until=None))

    def set_lang(self, username: str, lang: str) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(update(ConsoleUser).where(ConsoleUser.username == username).values(lang=lang))

    # --- sessions ------------------------------------------------------------------------

    def create_session(self, *, token_hash: str, username: str, csrf_token: str, now: datetime) -> None:
        with Session(self._engine) as session, session.begin():
            session.add(ConsoleSession(token_hash=token_hash, username=username, csrf_token=csrf_token,
                                       created_at=now, last_seen_at=now))

    def session(self, token_hash: str) -> SessionInfo | None:
        with Session(self._engine) as session:
            row = session.exec(select(ConsoleSession, ConsoleUser).where(
                ConsoleSession.token_hash == token_hash, ConsoleSession.username == ConsoleUser.username)).first()
            if row is None:
                return None
            found, user = row
            return SessionInfo(username=user.username, role=user.role, lang=user.lang, csrf_token=found.csrf_token,
                               created_at=_utc(found.created_at), last_seen_at=_utc(found.last_seen_at),
                               disabled=user.disabled)

    def touch(self, token_hash: str, now: datetime) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(update(ConsoleSession).where(ConsoleSession.token_hash == token_hash)
                            .values(last_seen_at=now))

    def end_session(self, token_hash: str) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash))

    def end_idle_sessions(self, *, seen_before: datetime) -> int:
        with Session(self._engine) as session, session.begin():
            result = session.execute(delete(ConsoleSession).where(ConsoleSession.last_seen_at < seen_before))
            return result.rowcount or 0

    # --- events --------------------------------------------------------------------------

    def add_event(self, *, at: datetime, username: str, action: str, detail: dict[str, Any] | None = None) -> None:
        with Session(self._engine) as session, session.begin():
            session.add(ConsoleEvent(at=at, username=username, action=action, detail=detail or {}))

    def events(self, *, limit: int = 100, action: str | None = None, username: str | None = None,
               before_seq: int | None = None) -> list[EventInfo]:
        """Newest first; the next page starts before the last one's seq."""
        query = select(ConsoleEvent).order_by(ConsoleEvent.seq.desc()).limit(limit)  # type: ignore[union-attr]
        if action is not None:
            query = query.where(ConsoleEvent.action == action)
        if username is not None:
            query = query.where(ConsoleEvent.username == username)
        if before_seq is not None:
            query = query.where(ConsoleEvent.seq < before_seq)  # type: ignore[operator]
        with Session(self._engine) as session:
            return [EventInfo(seq=r.seq, at=_utc(r.at), username=r.username, action=r.action, detail=r.detail)
                    for r in session.exec(query)]
