"""The decision ledger: durable, hash-chained, written with group commit.

Each request awaits `record()`, which returns once its record is committed. Records that
arrive while a batch is being written wait for the next batch, so under load one
transaction commits many records (one fsync for all) and the cost per record stays low.
Batches are written in one worker thread, never on the event loop; a write that cannot get
the database's lock within its busy timeout fails, and its requests fail closed.

Chain: record_hash = sha256(prev_hash + canonical JSON of the record without its hashes).
The chain head row is locked inside the writing transaction, so several gateway processes
on one database still build a single chain. `verify()` walks it.

Beside the JSON, each row copies out the fields readers filter on, and each audit attribute
gets a row in `decision_attributes`, in the same transaction. Both are derived from the JSON
as stored (`_query_columns`, `_attributes`), so `verify()` checks them against it. Stored
JSON is never rewritten: readers parse every schema version (`DecisionRecord.from_stored`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from gateway.config import DEFAULT_LEDGER_BATCH_MAX
from gateway.decision import DecisionRecord, stored_schema_version
from gateway.policy.documents import PolicyInput, PolicyResult
from gateway.pii.vault import SealedPseudonym
from gateway.store.models import ChainHead, DecisionAttribute, DecisionRow, VaultEntry

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
_HASH_EXCLUDED = {"seq", "prev_hash", "record_hash"}


# The batch writer's statements, built once (building them per batch costs more than the write).
_HEAD = ChainHead.__table__
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.record_hash).where(_HEAD.c.id == 1)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), record_hash=bindparam("new_hash"))
_INSERT_DECISIONS = insert(DecisionRow.__table__)
_INSERT_ATTRIBUTES = insert(DecisionAttribute.__table__)
_ATTRIBUTES = DecisionAttribute.__table__
# A token another gateway process stored first stays as it is. Indexed by "is PostgreSQL".
_INSERT_VAULT = (sqlite.insert(VaultEntry.__table__).on_conflict_do_nothing(),
                 postgresql.insert(VaultEntry.__table__).on_conflict_do_nothing())


class LedgerUnavailable(Exception):
    """The ledger could not commit: callers must fail closed."""


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


@dataclass
class _Pending:
    record: DecisionRecord
    vault_entries: list[SealedPseudonym]
    done: asyncio.Future[DecisionRecord]


@dataclass
class ChainCheck:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


@dataclass
class DecisionLedger:
    engine: Engine
    batch_max: int = DEFAULT_LEDGER_BATCH_MAX
    _queue: asyncio.Queue[_Pending] | None = None
    _writer: asyncio.Task[None] | None = None
    # One thread: the chain is built in order, and SQLite wants a single writer anyway.
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
    )
    healthy: bool = True
    last_error: str | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="ledger-writer")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=True)

    async def record(self, record: DecisionRecord, vault_entries: Iterable[SealedPseudonym] = ()) -> DecisionRecord:
        """Commit one record (and the vault entries its request created). Raises LedgerUnavailable."""
        if self._queue is None:
            raise LedgerUnavailable("ledger is not started")
        done: asyncio.Future[DecisionRecord] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(record, list(vault_entries), done))
        return await done

    async def _write_loop(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                # Always in the writer thread, SQLite too: a commit is quick until another
                # process holds the database lock, and then it waits (up to the busy timeout,
                # `database_busy_timeout_s`) in this thread, while the event loop serves on.
                committed = await loop.run_in_executor(self._executor, self._write_batch, batch)
            except Exception as exc:  # noqa: BLE001 — any DB failure fails these requests closed
                self.healthy = False
                self.last_error = type(exc).__name__
                log.error("ledger write failed: %s", type(exc).__name__)
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(LedgerUnavailable("decision ledger write failed"))
                continue
            self.healthy = True
            self.last_error = None
            for pending, record in zip(batch, committed, strict=True):
                if not pending.done.done():
                    pending.done.set_result(record)

    def _write_batch(self, batch: list[_Pending]) -> list[DecisionRecord]:
        """One transaction for the whole batch (SQLAlchemy Core: the ORM costs more than the write)."""
        committed: list[DecisionRecord] = []
        rows: list[dict[str, Any]] = []
        attribute_rows: list[dict[str, Any]] = []
        vault_rows: list[dict[str, Any]] = []
        with self.engine.begin() as connection:
            # Touch the head first: the UPDATE takes the write lock (a row lock on PostgreSQL,
            # the database lock on SQLite) before we read it, so concurrent writers queue here.
            connection.execute(_LOCK_HEAD)
            seq, prev_hash = connection.execute(_READ_HEAD).one()
            for pending in batch:
                seq += 1
                payload = pending.record.model_dump(mode="json", exclude=_HASH_EXCLUDED)
                record_hash = _hash(prev_hash, payload)
                payload.update(seq=seq, prev_hash=prev_hash, record_hash=record_hash)
                rows.append(_row(pending.record, payload))
                attribute_rows.extend({"decision_seq": seq, "key": key, "value": value}
                                      for key, value in _attributes(payload).items())
                vault_rows.extend(dataclasses.asdict(entry) for entry in pending.vault_entries)
                committed.append(pending.record.model_copy(
                    update={"seq": seq, "prev_hash": prev_hash, "record_hash": record_hash}))
                prev_hash = record_hash
            connection.execute(_INSERT_DECISIONS, rows)
            if attribute_rows:
                connection.execute(_INSERT_ATTRIBUTES, attribute_rows)
            if vault_rows:
                connection.execute(_INSERT_VAULT[connection.dialect.name == "postgresql"], vault_rows)
            connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev_hash})
        return committed

    # --- readers --------------------------------------------------------------------------

    def get(self, decision_id: str) -> DecisionRecord | None:
        with Session(self.engine) as session:
            row = session.exec(select(DecisionRow).where(DecisionRow.decision_id == decision_id)).first()
            return _record(row) if row else None

    def list(self, *, since: datetime | None = None, caller: str | None = None,
             limit: int = 100, before_seq: int | None = None) -> list[DecisionRecord]:
        query = select(DecisionRow).order_by(DecisionRow.seq.desc()).limit(limit)
        if since is not None:
            query = query.where(DecisionRow.created_at >= as_utc(since))
        if caller is not None:
            query = query.where(DecisionRow.caller == caller)
        if before_seq is not None:
            query = query.where(DecisionRow.seq < before_seq)
        with Session(self.engine) as session:
            return [_record(row) for row in session.exec(query)]

    def iter_all(self, *, since: datetime | None = None, batch: int = 500) -> Iterator[DecisionRecord]:
        for row in self._rows(since=since, batch=batch):
            yield _record(row)

    def _rows(self, *, since: datetime | None = None, batch: int = 500) -> Iterator[DecisionRow]:
        for rows in self._row_batches(since=since, batch=batch):
            yield from rows

    def _row_batches(self, *, since: datetime | None = None, batch: int = 500) -> Iterator[list[DecisionRow]]:
        last = 0
        while True:
            query = select(DecisionRow).where(DecisionRow.seq > last).order_by(DecisionRow.seq).limit(batch)
            if since is not None:
                query = query.where(DecisionRow.created_at >= as_utc(since))
            with Session(self.engine) as session:
                rows = list(session.exec(query))
            if not rows:
                return
            yield rows
            last = rows[-1].seq

    def _attribute_rows(self, first_seq: int, last_seq: int) -> dict[int, dict[str, str]]:
        query = select(_ATTRIBUTES.c.decision_seq, _ATTRIBUTES.c.key, _ATTRIBUTES.c.value).where(
            _ATTRIBUTES.c.decision_seq.between(first_seq, last_seq))
        found: dict[int, dict[str, str]] = {}
        with self.engine.connect() as connection:
            for decision_seq, key, value in connection.execute(query):
                found.setdefault(decision_seq, {})[key] = value
        return found

    def verify(self) -> ChainCheck:
        """Recompute every hash from the genesis over the stored JSON, as it was hashed.

        Also checks that no record is missing (consecutive seq), that the query columns and
        the attribute rows say what the record says, and that the last record is the chain
        head (no cut-off tail).
        """
        prev, seq, checked = GENESIS_HASH, 0, 0
        for rows in self._row_batches():
            attributes = self._attribute_rows(rows[0].seq, rows[-1].seq)
            for row in rows:
                problem = _problem(row, prev, seq, attributes.pop(row.seq, {}))
                if problem:
                    return ChainCheck(False, checked, row.seq, problem)
                prev, seq, checked = row.record_hash, row.seq, checked + 1
            if attributes:  # rows of a seq that has no record in this stretch
                return ChainCheck(False, checked, min(attributes), "attribute rows belong to no record")
        with Session(self.engine) as session:
            head = session.exec(select(ChainHead).where(ChainHead.id == 1)).one()
        with self.engine.connect() as connection:
            stray = connection.execute(select(_ATTRIBUTES.c.decision_seq).where(
                _ATTRIBUTES.c.decision_seq > seq).limit(1)).scalar()
        if (head.seq, head.record_hash) != (seq, prev):
            return ChainCheck(False, checked, seq + 1, "records after this point are missing (chain head is ahead)")
        if stray is not None:
            return ChainCheck(False, checked, stray, "attribute rows belong to no record")
        return ChainCheck(True, checked)


def _problem(row: DecisionRow, prev: str, seq: int, attributes: dict[str, str]) -> str | None:
    """What is wrong with one row, following the record `seq` whose hash is `prev`; None: nothing."""
    stored = dict(row.record)
    if row.seq != seq + 1 or stored.get("seq") != row.seq:
        return "a record is missing before this one"
    if stored.get("prev_hash") != prev or row.prev_hash != prev:
        return "prev_hash does not match the previous record"
    if _hash(prev, {k: v for k, v in stored.items() if k not in _HASH_EXCLUDED}) != row.record_hash \
            or stored.get("record_hash") != row.record_hash:
        return "record content does not match its hash"
    columns = _query_columns(stored)
    if {name: getattr(row, name) for name in columns} != columns or not _same_moment(row.created_at, stored):
        return "the query columns disagree with the hashed record"
    if attributes != _attributes(stored):
        return "the attribute rows disagree with the hashed record"
    return None


def _same_moment(column: datetime, stored: dict[str, Any]) -> bool:
    try:
        return as_utc(column) == as_utc(datetime.fromisoformat(stored.get("created_at", "")))
    except (TypeError, ValueError):
        return False


def as_utc(moment: datetime) -> datetime:
    """A time as UTC; a time without a zone is read as UTC. Raises OverflowError off the calendar.

    Records are stored in UTC, and SQLite compares the stored text, so a bound in another
    zone must be converted before the comparison, not after.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _row(record: DecisionRecord, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": payload["seq"],
        "created_at": record.created_at,
        **_query_columns(payload),
        "record": payload,
        "prev_hash": payload["prev_hash"],
        "record_hash": payload["record_hash"],
    }


def _query_columns(stored: dict[str, Any]) -> dict[str, Any]:
    """The columns copied out of a record, from its JSON as stored (so the writer and
    `verify()` agree by construction). Rows of schema-1 records predate the newer columns
    (migration 0003 left them NULL, and `source` at its default)."""
    policy = stored.get("policy") or {}
    columns = {
        "decision_id": stored.get("decision_id"),
        "caller": stored.get("caller"),
        "purpose": stored.get("purpose"),
        "kind": stored.get("kind"),
        "status_code": stored.get("status_code"),
        "allowed": stored.get("allowed"),
        "policy_version": policy.get("bundle_hash"),
        "region": None, "language": None, "channel": None, "stage": None, "source": "gateway",
    }
    if stored_schema_version(stored) != "1":
        features = stored.get("features") or {}
        columns.update(region=stored.get("customer_region"), language=features.get("language"),
                       channel=features.get("channel"), stage=stored.get("stage"), source=stored.get("source"))
    return columns


def _attributes(stored: dict[str, Any]) -> dict[str, str]:
    """The `decision_attributes` rows of a record (schema-1 rows have none)."""
    return dict(stored.get("customer_attributes") or {}) if stored_schema_version(stored) != "1" else {}


def _record(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord.from_stored(row.record)


def recorded_decisions(ledger: DecisionLedger, *, since: datetime | None = None
                       ) -> Iterator[tuple[str, PolicyInput, PolicyResult]]:
    """(decision id, policy input, policy result) of each recorded decision that has both.

    Benchmark records are left out: their stages were switched off, so their inputs are not
    what production would have asked (and passthrough remembered its results)."""
    for record in ledger.iter_all(since=since):
        if record.benchmark or record.policy.input is None or record.policy.result is None:
            continue
        yield record.decision_id, record.policy.input, record.policy.result
