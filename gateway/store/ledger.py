"""The decision ledger: durable, hash-chained, written with group commit.

Each request awaits `record()`, which returns once its record is committed. Records that
arrive while a batch is being written wait for the next batch, so under load one
transaction commits many records (one fsync for all) and the cost per record stays low.
Batches are written in one worker thread, never on the event loop; a write that cannot get
the database's lock within its busy timeout fails, and its requests fail closed.

Chain: record_hash = sha256(prev_hash + canonical JSON of the record without its hashes)
(gateway/store/chain.py); the row stores that same text, its chain fields appended. The chain
head row is locked inside the writing transaction, so several gateway processes on one database
still build a single chain.

Beside the JSON, each row copies out the fields readers filter on, and each audit attribute
gets a row in `decision_attributes`, in the same transaction, both derived from the JSON as
stored (`_query_columns`, `_attributes`). Stored JSON is never rewritten: readers parse every
schema version (`DecisionRecord.from_stored`).

This is the writer only. Every reader (the decision API, the CLI, replay, audits, and the
chain's verification) reads through `gateway.store.decision_log.DecisionLog`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.config import DEFAULT_LEDGER_BATCH_MAX
from gateway.decision import DecisionRecord
from gateway.pii.vault import SealedPseudonym
from gateway.store.chain import CHAIN_FIELDS, canonical_json, stored_json, text_hash
from gateway.store.derived import attributes_of, query_columns
from gateway.store.json_text import json_text
from gateway.store.models import ChainHead, DecisionAttribute, DecisionRow, VaultEntry

log = logging.getLogger(__name__)


# The batch writer's statements, built once (building them per batch costs more than the write).
_HEAD = ChainHead.__table__
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.record_hash).where(_HEAD.c.id == 1)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), record_hash=bindparam("new_hash"))
_INSERT_DECISIONS = insert(DecisionRow.__table__).values(record=json_text("record_json"))
_INSERT_ATTRIBUTES = insert(DecisionAttribute.__table__)
# A token another gateway process stored first stays as it is. Indexed by "is PostgreSQL".
_INSERT_VAULT = (sqlite.insert(VaultEntry.__table__).on_conflict_do_nothing(),
                 postgresql.insert(VaultEntry.__table__).on_conflict_do_nothing())


class LedgerUnavailable(Exception):
    """The ledger could not commit: callers must fail closed."""


@dataclass
class _Pending:
    record: DecisionRecord
    vault_entries: list[SealedPseudonym]
    done: asyncio.Future[DecisionRecord]


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
        vault_rows = [dataclasses.asdict(entry) for pending in batch for entry in pending.vault_entries]
        with self.engine.begin() as connection:
            seq, prev_hash = lock_head(connection)
            linked = link((unlinked(pending.record) for pending in batch), seq, prev_hash)
            insert_linked(connection, linked)
            if vault_rows:
                connection.execute(_INSERT_VAULT[connection.dialect.name == "postgresql"], vault_rows)
            move_head(connection, linked.seq, linked.head_hash)
        return [pending.record.model_copy(update={"seq": seq, "prev_hash": prev, "record_hash": record_hash})
                for pending, (seq, prev, record_hash) in zip(batch, linked.hashes, strict=True)]


# --- joining the chain: the ledger's batches and bulk imports (gateway/store/importer.py) ----


@dataclass(frozen=True, slots=True)
class Unlinked:
    """A record ready to join the chain: its JSON without the chain fields, and that JSON's
    canonical text (what is hashed; a bulk writer may build it faster, but it must be equal)."""

    created_at: datetime
    payload: dict[str, Any]
    canonical: str


@dataclass
class Linked:
    """Records placed on the chain after (seq, prev_hash), as rows ready to insert."""

    rows: list[dict[str, Any]]
    attribute_rows: list[dict[str, Any]]
    hashes: list[tuple[int, str, str]]  # each record's (seq, prev_hash, record_hash)
    seq: int  # the new head
    head_hash: str


def lock_head(connection: Connection) -> tuple[int, str]:
    """Take the chain's write lock, then read its head (seq, record_hash).

    The UPDATE takes the lock (a row lock on PostgreSQL, the database lock on SQLite) before
    we read, so concurrent writers queue here and one chain is built."""
    connection.execute(_LOCK_HEAD)
    seq, record_hash = connection.execute(_READ_HEAD).one()
    return seq, record_hash


def move_head(connection: Connection, seq: int, record_hash: str) -> None:
    connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": record_hash})


def unlinked(record: DecisionRecord) -> Unlinked:
    payload = record.model_dump(mode="json", exclude=CHAIN_FIELDS)
    return Unlinked(record.created_at, payload, canonical_json(payload))


# A record prepared to join the chain (`prepare`): (created_at, the canonical text, the query
# column values in QUERY_COLUMNS' order, the attribute rows' (key, value) pairs). Plain tuples:
# a bulk writer's worker processes hand them over pickled, and a tuple costs a tenth of a class
# instance to unpickle (its JSON dict, dearer still, stays behind).
Prepared = tuple[datetime, str, tuple[Any, ...], tuple[tuple[str, str], ...]]
QUERY_COLUMNS = tuple(query_columns({"schema_version": "2"}))


def prepare(entry: Unlinked) -> Prepared:
    """What `link` derives from a record's JSON as stored (store/derived.py), derived now."""
    columns = query_columns(entry.payload)
    assert tuple(columns) == QUERY_COLUMNS
    return entry.created_at, entry.canonical, tuple(columns.values()), tuple(attributes_of(entry.payload).items())


def link(entries: Iterable[Unlinked], seq: int, prev_hash: str) -> Linked:
    """Chain `entries` in order after (seq, prev_hash): each one's stored JSON (the hashed text
    with its chain fields appended), its query columns and attribute rows (store/derived.py),
    all from the JSON as stored."""
    return link_prepared((prepare(entry) for entry in entries), seq, prev_hash)


def link_prepared(entries: Iterable[Prepared], seq: int, prev_hash: str) -> Linked:
    """`link`, for records prepared already (`prepare`, maybe in another process)."""
    linked = Linked([], [], [], seq, prev_hash)
    for created_at, canonical, columns, attributes in entries:
        linked.seq += 1
        record_hash = text_hash(linked.head_hash, canonical)
        row = dict(zip(QUERY_COLUMNS, columns, strict=True))
        row.update(seq=linked.seq, created_at=created_at,
                   record_json=stored_json(canonical, linked.seq, linked.head_hash, record_hash),
                   prev_hash=linked.head_hash, record_hash=record_hash)
        linked.rows.append(row)
        linked.attribute_rows.extend({"decision_seq": linked.seq, "key": key, "value": value}
                                     for key, value in attributes)
        linked.hashes.append((linked.seq, linked.head_hash, record_hash))
        linked.head_hash = record_hash
    return linked


def insert_linked(connection: Connection, linked: Linked) -> None:
    if linked.rows:
        connection.execute(_INSERT_DECISIONS, linked.rows)
    if linked.attribute_rows:
        connection.execute(_INSERT_ATTRIBUTES, linked.attribute_rows)
