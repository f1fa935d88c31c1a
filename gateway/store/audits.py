"""Bias audits as stored runs: the writer (`AuditStore`) and the read-only door (`AuditLog`).

An audit row goes queued → running → done | failed. Whoever runs one claims it first with a
conditional update (`status = 'queued'` → `'running'`, owner set): on SQLite the write lock and
on PostgreSQL the row lock make exactly one claimer win, so replicas on one database share a
queue without a broker. The runner beats `heartbeat_at` while it works; a running row whose
heartbeat is stale is failed as interrupted (`fail_stale`), never silently re-run.

What is stored:
- `report`: report.json's exact text, with its sha256 (`report_sha256`); every read checks the
  two agree (`StoredAudit.report_verified`). This catches an edited report, not a forger who
  also rewrites the hash: the ledger's chain is what is tamper-proof, an audit is re-runnable.
- `audit_files`: the report's rendered files (json, html, pdf) with their own sha256. In the
  database, not on a disk, because replicas share only the database: a file one replica wrote
  to its disk would be a 404 on the next; and backups and access control then cover them too.
- `audit_schedule_firings`: (schedule, fire time) is the primary key. The scheduler that inserts
  the firing (and its queued audit, in the same transaction) runs it; another replica's insert
  of the same firing fails on the key and it does nothing. Exactly once per firing, the same
  on SQLite and PostgreSQL (no advisory lock, nothing to expire).
- `webhook_deliveries`: every attempt to notify, with its status code or error (no body).

Messages stored in `error` are ours (the audit's refusals name attributes and options, which
are checked to have the shape of stored identifiers), never a foreign exception's text.
Every method blocks (database I/O): async callers use a worker thread.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from gateway.store.models import AuditFileRow, AuditFiringRow, AuditRow, WebhookDeliveryRow

AuditStatus = Literal["queued", "running", "done", "failed"]
WebhookState = Literal["none", "pending", "delivered", "failed"]
AUDIT_ID_PREFIX = "aud_"
MAX_ERROR_CHARS = 500
INTERRUPTED = "interrupted: the process running the audit stopped before it finished; ask for it again"

_AUDITS: Table = AuditRow.__table__  # type: ignore[attr-defined]
_FILES: Table = AuditFileRow.__table__  # type: ignore[attr-defined]
_FIRINGS: Table = AuditFiringRow.__table__  # type: ignore[attr-defined]
_DELIVERIES: Table = WebhookDeliveryRow.__table__  # type: ignore[attr-defined]
_INFO_COLUMNS = [c for c in _AUDITS.c if c.name not in ("report", "owner", "heartbeat_at")]


class AuditsUnavailable(Exception):
    """The database could not take the read or write (a lock held too long, the connection)."""


@contextmanager
def _unavailable_on_operational_error() -> Iterator[None]:
    try:
        yield
    except OperationalError:
        raise AuditsUnavailable() from None


def new_audit_id() -> str:
    return AUDIT_ID_PREFIX + secrets.token_hex(16)


def utc(moment: datetime | None) -> datetime | None:
    """SQLite returns stored times without their zone: they were written in UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def fire_key(fire_time: datetime) -> str:
    """A firing's key: its time in UTC to the second, written the same way on every database."""
    return fire_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- what the store hands out ----------------------------------------------------------------


class AuditFileInfo(BaseModel):
    format: str
    media_type: str
    filename: str
    size: int
    sha256: str


class AuditFile(AuditFileInfo):
    content: bytes


class AuditInfo(BaseModel):
    """An audit's metadata: everything but the report itself."""

    id: str
    seq: int
    requested_by: str
    trigger: str
    since: datetime
    until: datetime
    parameters: dict[str, Any]
    status: AuditStatus
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    records: int | None
    summary: dict[str, int] | None
    report_sha256: str | None
    webhook_state: WebhookState
    files: list[AuditFileInfo]


class StoredAudit(AuditInfo):
    report_text: str | None
    # The stored report's sha256 matches the stored text (None: no report yet).
    report_verified: bool | None


class ClaimedAudit(BaseModel):
    """What a runner needs to run an audit it claimed."""

    id: str
    seq: int
    trigger: str
    since: datetime
    until: datetime
    parameters: dict[str, Any]


class Delivery(BaseModel):
    audit_id: str
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    delivered: bool


class Firing(BaseModel):
    schedule: str
    fire_key: str
    fire_time: datetime
    audit_id: str
    claimed_by: str


@dataclass(frozen=True)
class NewFile:
    format: str
    media_type: str
    filename: str
    content: bytes


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the writer --------------------------------------------------------------------------


class AuditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, *, requested_by: str, trigger: str, since: datetime, until: datetime,
               parameters: dict[str, Any], now: datetime, owner: str | None = None) -> str:
        """A new audit, queued; or running already when `owner` runs it itself (the CLI)."""
        audit_id = new_audit_id()
        with _unavailable_on_operational_error(), self.engine.begin() as connection:
            connection.execute(insert(_AUDITS).values(**_new_row(
                audit_id, requested_by=requested_by, trigger=trigger, since=since, until=until,
                parameters=parameters, now=now, owner=owner)))
        return audit_id

    def claim_firing(self, *, schedule: str, fire_time: datetime, owner: str, since: datetime, until: datetime,
                     parameters: dict[str, Any], now: datetime) -> str | None:
        """The audit of this firing, queued, if this call claimed it; None when another did."""
        audit_id = new_audit_id()
        try:
            with _unavailable_on_operational_error(), self.engine.begin() as connection:
                # The firing first: a second claimer fails here, before it queues anything.
                connection.execute(insert(_FIRINGS).values(
                    schedule=schedule, fire_key=fire_key(fire_time), fire_time=fire_time, audit_id=audit_id,
                    claimed_by=owner, claimed_at=now))
                connection.execute(insert(_AUDITS).values(**_new_row(
                    audit_id, requested_by="scheduler", trigger=f"schedule:{schedule}", since=since, until=until,
                    parameters=parameters, now=now, owner=None)))
        except IntegrityError:
            return None
        return audit_id

    def claim_next(self, *, owner: str, now: datetime) -> ClaimedAudit | None:
        """The oldest queued audit, now running as `owner`'s; None when none is queued."""
        query = (select(_AUDITS.c.id, _AUDITS.c.seq, _AUDITS.c.trigger, _AUDITS.c.since, _AUDITS.c.until,
                        _AUDITS.c.parameters)
                 .where(_AUDITS.c.status == "queued").order_by(_AUDITS.c.seq).limit(1))
        with _unavailable_on_operational_error():
            while True:
                with self.engine.begin() as connection:
                    row = connection.execute(query).first()
                    if row is None:
                        return None
                    claimed = connection.execute(
                        update(_AUDITS).where(_AUDITS.c.id == row.id, _AUDITS.c.status == "queued")
                        .values(status="running", owner=owner, started_at=now, heartbeat_at=now)).rowcount
                if claimed == 1:
                    return ClaimedAudit(id=row.id, seq=row.seq, trigger=row.trigger, since=utc(row.since),
                                        until=utc(row.until), parameters=row.parameters)
                # Another runner took it between the read and the update: look again.

    def heartbeat(self, audit_id: str, *, owner: str, now: datetime) -> bool:
        with _unavailable_on_operational_error(), self.engine.begin() as connection:
            return connection.execute(self._running(audit_id, owner).values(heartbeat_at=now)).rowcount == 1

    def finish(self, audit_id: str, *, owner: str, report_text: str, records: int, summary: dict[str, int],
               files: list[NewFile], webhook_state: WebhookState, now: datetime) -> bool:
        """Store the report and its files; False (nothing stored) when the audit is no longer
        this owner's running audit (it was failed as interrupted meanwhile)."""
        with _unavailable_on_operational_error(), self.engine.begin() as connection:
            done = connection.execute(self._running(audit_id, owner).values(
                status="done", finished_at=now, heartbeat_at=now, records=records, summary=summary,
                report=report_text, report_sha256=sha256_hex(report_text.encode("utf-8")),
                webhook_state=webhook_state)).rowcount == 1
            if done and files:
                connection.execute(insert(_FILES), [
                    {"audit_id": audit_id, "format": f.format, "media_type": f.media_type, "filename": f.filename,
                     "size": len(f.content), "sha256": sha256_hex(f.content), "content": f.content} for f in files])
        return done

    def fail(self, audit_id: str, *, owner: str, error: str, now: datetime) -> bool:
        with _unavailable_on_operational_error(), self.engine.begin() as connection:
            return connection.execute(self._running(audit_id, owner).values(
                status="failed", finished_at=now, error=error[:MAX_ERROR_CHARS])).rowcount == 1

    def fail_stale(self, *, heartbeat_before: datetime, now: datetime) -> int:
        """Fail running audits whose runner has not beaten since `heartbeat_before` (it died)."""
        with _unavailable_on_operational_error(), self.engine.begin() as connection:
            return connection.execute(
                update(_AUDITS).where(_AUDITS.c.status == "running", _AUDITS.c.heartbeat_at < heartbeat_before)
                .values(status="failed", finished_at=now, error=INTERRUPTED)).rowcount

    def record_delivery(self, audit_id: str, *, attempt: int, at: datetime, status_code: int | None,
                        error: str | None, delivered: bool) -> None:
        with _unavailable_on_operational_error(), self.engine.begin() as connection:
            connection.execute(insert(_DELIVERIES).values(
                audit_id=audit_id, attempt=attempt, attempted_at=at, status_code=status_code,
                error=error[:MAX_ERROR_CHARS] if error else None, delivered=delivered))

    def set_webhook_state(self, audit_id: str, state: WebhookState) -> None:
        with _unavailable_on_operational_error(), self.engine.begin() as connection:
            connection.execute(update(_AUDITS).where(_AUDITS.c.id == audit_id).values(webhook_state=state))

    @staticmethod
    def _running(audit_id: str, owner: str):  # type: ignore[no-untyped-def]
        return update(_AUDITS).where(_AUDITS.c.id == audit_id, _AUDITS.c.owner == owner,
                                     _AUDITS.c.status == "running")


def _new_row(audit_id: str, *, requested_by: str, trigger: str, since: datetime, until: datetime,
             parameters: dict[str, Any], now: datetime, owner: str | None) -> dict[str, Any]:
    running = owner is not None
    return {"id": audit_id, "requested_by": requested_by, "trigger": trigger, "since": since, "until": until,
            "parameters": parameters, "status": "running" if running else "queued", "created_at": now,
            "started_at": now if running else None, "owner": owner, "heartbeat_at": now if running else None,
            "webhook_state": "none"}


# --- the reader --------------------------------------------------------------------------


class AuditLog:
    """Read-only: the audits, their reports and files, deliveries and firings."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(self, *, before_seq: int | None = None, limit: int = 50, status: AuditStatus | None = None,
             trigger: str | None = None) -> list[AuditInfo]:
        """At most `limit` audits, newest first; the next page starts before the last one's seq."""
        query = select(*_INFO_COLUMNS).order_by(_AUDITS.c.seq.desc()).limit(limit)
        if before_seq is not None:
            query = query.where(_AUDITS.c.seq < before_seq)
        if status is not None:
            query = query.where(_AUDITS.c.status == status)
        if trigger is not None:
            query = query.where(_AUDITS.c.trigger == trigger)
        with _unavailable_on_operational_error(), self.engine.connect() as connection:
            rows = connection.execute(query).all()
            files = self._files_of(connection, [row.id for row in rows])
        return [_info(row._mapping, files.get(row.id, [])) for row in rows]

    def get(self, audit_id: str) -> StoredAudit | None:
        with _unavailable_on_operational_error(), self.engine.connect() as connection:
            row = connection.execute(select(*_INFO_COLUMNS, _AUDITS.c.report).where(_AUDITS.c.id == audit_id)).first()
            if row is None:
                return None
            files = self._files_of(connection, [audit_id]).get(audit_id, [])
        info = _info(row._mapping, files)
        verified = None if row.report is None else sha256_hex(row.report.encode("utf-8")) == row.report_sha256
        return StoredAudit(**info.model_dump(), report_text=row.report, report_verified=verified)

    def file(self, audit_id: str, file_format: str) -> AuditFile | None:
        query = select(_FILES).where(_FILES.c.audit_id == audit_id, _FILES.c.format == file_format)
        with _unavailable_on_operational_error(), self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else AuditFile(**row._mapping)

    def previous_report(self, *, trigger: str, before_seq: int) -> str | None:
        """The report of the latest finished audit of the same trigger before this one (a trend)."""
        query = (select(_AUDITS.c.report).where(_AUDITS.c.trigger == trigger, _AUDITS.c.seq < before_seq,
                                                _AUDITS.c.status == "done")
                 .order_by(_AUDITS.c.seq.desc()).limit(1))
        with _unavailable_on_operational_error(), self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def deliveries(self, audit_id: str) -> list[Delivery]:
        query = select(_DELIVERIES).where(_DELIVERIES.c.audit_id == audit_id).order_by(_DELIVERIES.c.id)
        with _unavailable_on_operational_error(), self.engine.connect() as connection:
            return [Delivery(**{**row._mapping, "attempted_at": utc(row.attempted_at)})
                    for row in connection.execute(query)]

    def firings(self, schedule: str) -> list[Firing]:
        query = select(_FIRINGS).where(_FIRINGS.c.schedule == schedule).order_by(_FIRINGS.c.fire_key)
        with _unavailable_on_operational_error(), self.engine.connect() as connection:
            return [Firing(**{**row._mapping, "fire_time": utc(row.fire_time)}) for row in connection.execute(query)]

    @staticmethod
    def _files_of(connection: Any, audit_ids: list[str]) -> dict[str, list[AuditFileInfo]]:
        if not audit_ids:
            return {}
        query = (select(_FILES.c.audit_id, _FILES.c.format, _FILES.c.media_type, _FILES.c.filename, _FILES.c.size,
                        _FILES.c.sha256).where(_FILES.c.audit_id.in_(audit_ids)).order_by(_FILES.c.format))
        found: dict[str, list[AuditFileInfo]] = {}
        for row in connection.execute(query):
            found.setdefault(row.audit_id, []).append(AuditFileInfo(
                format=row.format, media_type=row.media_type, filename=row.filename, size=row.size, sha256=row.sha256))
        return found


def _info(row: Any, files: list[AuditFileInfo]) -> AuditInfo:
    values = {c.name: row[c.name] for c in _INFO_COLUMNS}
    for name in ("since", "until", "created_at", "started_at", "finished_at"):
        values[name] = utc(values[name])
    return AuditInfo(**values, files=files)
