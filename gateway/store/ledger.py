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

Streams (docs/decision-record.md, "Durability"): a stream's decision id goes out with its
headers, before its record can be complete, so `open_stream()` first commits the stream's
provisional record to the `open_streams` journal (through this same queue: it batches with
records). The stream's final record is chained in the transaction that deletes its journal
row. Each process beats a heartbeat (`gateway_processes`) from this writer; a journal row
whose owner has been silent for `orphan_after_s` is an orphan, and the next heartbeat of any
process on the database chains it as an "interrupted" record, deleting the row in the same
transaction, under the chain head's lock (so two processes recovering at once make one
record). A final record whose journal row is gone (another process took this one for dead)
is not chained again: its id already has its record. A stream of this process that will never
record its end (its final record failed; its response never started) is `abandon_stream()`ed,
and the next heartbeat chains it the same way.

This is the writer only. Every reader (the decision API, the CLI, replay, audits, and the
chain's verification) reads through `gateway.store.decision_log.DecisionLog`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.config import DEFAULT_LEDGER_BATCH_MAX, DEFAULT_STREAM_ORPHAN_AFTER_S
from gateway.decision import DecisionRecord
from gateway.pii.vault import SealedPseudonym
from gateway.store.chain import CHAIN_FIELDS, canonical_json, stored_json, text_hash
from gateway.store.derived import attributes_of, query_columns
from gateway.store.json_text import json_text
from gateway.store.models import ChainHead, DecisionAttribute, DecisionRow, GatewayProcess, OpenStream, VaultEntry

log = logging.getLogger(__name__)


# The batch writer's statements, built once (building them per batch costs more than the write).
_HEAD = ChainHead.__table__
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.record_hash).where(_HEAD.c.id == 1)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), record_hash=bindparam("new_hash"))
_DECISIONS = DecisionRow.__table__
_INSERT_DECISIONS = insert(_DECISIONS).values(record=json_text("record_json"))
_INSERT_ATTRIBUTES = insert(DecisionAttribute.__table__)
# A token another gateway process stored first stays as it is. Indexed by "is PostgreSQL".
_INSERT_VAULT = (sqlite.insert(VaultEntry.__table__).on_conflict_do_nothing(),
                 postgresql.insert(VaultEntry.__table__).on_conflict_do_nothing())

# The open-stream journal and the processes' heartbeats (not part of the chain).
_OPEN = OpenStream.__table__
_PROCESSES = GatewayProcess.__table__
_INSERT_OPEN = insert(_OPEN)
# A final record's journal row, deleted as the record is chained; what it returns still was open.
_CLOSE_STREAMS = (delete(_OPEN).where(_OPEN.c.decision_id.in_(bindparam("ids", expanding=True)))
                  .returning(_OPEN.c.decision_id))
# An orphan: a row of another process that has no heartbeat since the cutoff, or one of this
# process's streams that will never record its end (`abandon_stream`).
_ORPHAN = or_(and_(_OPEN.c.owner != bindparam("owner"),
                   ~exists().where(_PROCESSES.c.owner == _OPEN.c.owner,
                                   _PROCESSES.c.heartbeat_at >= bindparam("cutoff"))),
              and_(_OPEN.c.owner == bindparam("owner"),
                   _OPEN.c.decision_id.in_(bindparam("abandoned", expanding=True))))
_ANY_ORPHAN = select(_OPEN.c.decision_id).where(_ORPHAN).limit(1)
_TAKE_ORPHANS = delete(_OPEN).where(_ORPHAN).returning(_OPEN.c.decision_id, _OPEN.c.opened_at, _OPEN.c.record)
# Orphans whose id has a record already (not chained twice, whatever left their row behind).
_RECORDED = select(_DECISIONS.c.decision_id).where(_DECISIONS.c.decision_id.in_(bindparam("ids", expanding=True)))
_RETIRE = delete(_PROCESSES).where(_PROCESSES.c.owner == bindparam("owner"))
_FORGET_DEAD = delete(_PROCESSES).where(_PROCESSES.c.heartbeat_at < bindparam("cutoff"),
                                        _PROCESSES.c.owner != bindparam("owner"))


def _beat_statement(dialect: Any) -> Any:
    insert_ = postgresql.insert if dialect == postgresql else sqlite.insert
    statement = insert_(_PROCESSES)
    return statement.on_conflict_do_update(index_elements=[_PROCESSES.c.owner],
                                           set_={"heartbeat_at": statement.excluded.heartbeat_at})


_BEAT = (_beat_statement(sqlite), _beat_statement(postgresql))
# What an orphaned stream's record says: it was answered (200) and cut before it ended.
INTERRUPTED = "interrupted"
MAX_HEARTBEAT_INTERVAL_S = 5.0


class LedgerUnavailable(Exception):
    """The ledger could not commit: callers must fail closed."""


@dataclass
class _Pending:
    """One item for the writer: a record to chain, a stream to journal, or a heartbeat."""

    done: asyncio.Future[Any]
    kind: Literal["record", "open", "beat"] = "record"
    record: DecisionRecord | None = None  # "open": the stream's provisional record
    vault_entries: list[SealedPseudonym] = field(default_factory=list)
    closes_stream: bool = False  # "record": the final record of a journalled stream
    # "beat": this process's abandoned streams when it was queued (the writer thread never
    # touches the ledger's set).
    abandoned: frozenset[str] = frozenset()


@dataclass
class DecisionLedger:
    engine: Engine
    batch_max: int = DEFAULT_LEDGER_BATCH_MAX
    # A journalled stream of a process silent this long is recorded as interrupted.
    orphan_after_s: float = DEFAULT_STREAM_ORPHAN_AFTER_S
    # This process, in the journal and the heartbeats: random per start, never reused.
    owner: str = field(default_factory=lambda: f"gw_{uuid.uuid4().hex}")
    _queue: asyncio.Queue[_Pending] | None = None
    _writer: asyncio.Task[None] | None = None
    _beater: asyncio.Task[None] | None = None
    _started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _beat_at: float = float("-inf")  # monotonic: the last heartbeat committed
    # This process's journalled streams whose end will not be recorded: the next beat does.
    _abandoned: set[str] = field(default_factory=set)
    # One thread: the chain is built in order, and SQLite wants a single writer anyway.
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
    )
    healthy: bool = True
    last_error: str | None = None

    @property
    def heartbeat_s(self) -> float:
        """How often this process beats (and looks for orphans): well inside the staleness."""
        return min(MAX_HEARTBEAT_INTERVAL_S, self.orphan_after_s / 3)

    async def start(self) -> None:
        """Start the writer, register this process's heartbeat and recover what dead ones left."""
        self._queue = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="ledger-writer")
        with contextlib.suppress(LedgerUnavailable):  # logged by the writer; the next beat retries
            await self.beat()
        self._beater = asyncio.create_task(self._beat_loop(), name="ledger-heartbeat")

    async def close(self) -> None:
        """Stop writing. This process's heartbeat goes with it: a stream still journalled can no
        longer record its end, so the next process to beat records it at once."""
        for task in (self._beater, self._writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            # In the writer thread, after any batch still being written there.
            await asyncio.get_running_loop().run_in_executor(self._executor, self._retire)
        except Exception as exc:  # noqa: BLE001 — then the heartbeat goes stale instead
            log.warning("could not retire this process's heartbeat: %s", type(exc).__name__)
        self._executor.shutdown(wait=True)

    def _retire(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(_RETIRE, {"owner": self.owner})

    async def record(self, record: DecisionRecord, vault_entries: Iterable[SealedPseudonym] = (), *,
                     closes_stream: bool = False) -> DecisionRecord:
        """Commit one record (and the vault entries its request created). Raises LedgerUnavailable.

        `closes_stream`: the final record of a stream `open_stream()` journalled; its journal
        row is deleted in the record's transaction.
        """
        return await self._submit(_Pending(self._future(), "record", record, list(vault_entries),
                                           closes_stream=closes_stream))

    async def open_stream(self, provisional: DecisionRecord) -> None:
        """Journal a stream before its headers (and its decision id) go out. Raises LedgerUnavailable.

        `provisional` is what the record says should the stream never end: the process that
        finds it orphaned chains it as it is.
        """
        await self._submit(_Pending(self._future(), "open", provisional))

    def abandon_stream(self, decision_id: str) -> None:
        """A journalled stream of this process that will never record its end (its final
        record failed, or its response never started): the next beat chains its journalled
        record, as for a dead process's."""
        self._abandoned.add(decision_id)

    async def beat(self) -> int:
        """Refresh this process's heartbeat; chain other processes' orphans. Returns how many."""
        return await self._submit(_Pending(self._future(), "beat", abandoned=frozenset(self._abandoned)))

    async def _beat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            with contextlib.suppress(LedgerUnavailable):
                await self.beat()

    def _future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _submit(self, pending: _Pending) -> Any:
        if self._queue is None:
            raise LedgerUnavailable("ledger is not started")
        await self._queue.put(pending)
        return await pending.done

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
                    if pending.kind == "record" and pending.closes_stream and pending.record is not None:
                        self._abandoned.add(pending.record.decision_id)  # its journal row stays
                    if not pending.done.done():
                        pending.done.set_exception(LedgerUnavailable("decision ledger write failed"))
                continue
            self.healthy = True
            self.last_error = None
            for pending in batch:
                self._abandoned -= pending.abandoned  # chained, or gone already
            for pending, result in zip(batch, committed, strict=True):
                if not pending.done.done():
                    pending.done.set_result(result)

    def _write_batch(self, batch: list[_Pending]) -> list[Any]:
        """One transaction for the whole batch (SQLAlchemy Core: the ORM costs more than the write).

        Returns, per item: a record's committed record, None for a journalled stream, the
        number of orphans chained for a heartbeat.
        """
        now = datetime.now(UTC)
        cutoff = now - timedelta(seconds=self.orphan_after_s)
        records = [p for p in batch if p.kind == "record"]
        opens = [p for p in batch if p.kind == "open"]
        beats = [p for p in batch if p.kind == "beat"]
        abandoned = frozenset().union(*(p.abandoned for p in beats))
        # A process that only opens streams beats with them, so its journal rows never look orphaned.
        beating = bool(beats) or (bool(opens) and time.monotonic() - self._beat_at > self.heartbeat_s)
        # Looked at first, apart (a read then a write in one SQLite transaction can fail at once
        # on another process's commit); the DELETE below, under the head's lock, decides.
        recovering = bool(beats) and (bool(abandoned) or self._orphans_waiting(cutoff))
        results: dict[int, Any] = {id(p): None for p in opens}
        recovered = 0
        with self.engine.begin() as connection:
            postgres = connection.dialect.name == "postgresql"
            if records or recovering:
                seq, prev_hash = lock_head(connection)
                chained: list[tuple[_Pending | None, DecisionRecord, list[SealedPseudonym]]] = []
                closing = [p.record.decision_id for p in records if p.closes_stream and p.record is not None]
                still_open = set(connection.execute(_CLOSE_STREAMS, {"ids": closing}).scalars()) if closing else set()
                for pending in records:
                    assert pending.record is not None
                    if pending.closes_stream and pending.record.decision_id not in still_open:
                        # Another process took this one for dead and chained the stream as
                        # interrupted: its id has its record, one record per request stays so.
                        log.warning("stream %s was recorded as interrupted before it ended", pending.record.decision_id)
                        results[id(pending)] = pending.record
                        continue
                    chained.append((pending, pending.record, pending.vault_entries))
                if recovering:
                    orphans = connection.execute(_TAKE_ORPHANS, {"owner": self.owner, "cutoff": cutoff,
                                                                 "abandoned": sorted(abandoned)}).all()
                    connection.execute(_FORGET_DEAD, {"owner": self.owner, "cutoff": cutoff})
                    recorded = set(connection.execute(_RECORDED, {"ids": [o.decision_id for o in orphans]})
                                   .scalars()) if orphans else set()
                    for orphan in sorted(orphans, key=lambda o: (_aware(o.opened_at), o.decision_id)):
                        if orphan.decision_id not in recorded:
                            chained.append((None, DecisionRecord.from_stored(orphan.record), []))
                            recovered += 1
                if chained:
                    linked = link((unlinked(record) for _, record, _ in chained), seq, prev_hash)
                    insert_linked(connection, linked)
                    vault_rows = [dataclasses.asdict(entry) for _, _, entries in chained for entry in entries]
                    if vault_rows:
                        connection.execute(_INSERT_VAULT[postgres], vault_rows)
                    for (pending, record, _), (at, prev, record_hash) in zip(chained, linked.hashes, strict=True):
                        if pending is not None:
                            results[id(pending)] = record.model_copy(
                                update={"seq": at, "prev_hash": prev, "record_hash": record_hash})
                    move_head(connection, linked.seq, linked.head_hash)
            if opens:
                connection.execute(_INSERT_OPEN, [
                    {"decision_id": p.record.decision_id, "owner": self.owner, "opened_at": now,
                     "record": p.record.model_dump(mode="json")} for p in opens if p.record is not None])
            if beating:
                # Last, after the head: a recovering process holds the head while it forgets dead
                # processes' rows, so taking our row first could deadlock with it.
                connection.execute(_BEAT[postgres], {"owner": self.owner, "started_at": self._started_at,
                                                     "heartbeat_at": now})
        if beating:
            self._beat_at = time.monotonic()
        if recovered:
            log.warning("recorded %d interrupted streams (their process stopped, or their end could not be recorded)",
                        recovered)
        for i, pending in enumerate(beats):
            results[id(pending)] = recovered if i == 0 else 0
        return [results[id(p)] for p in batch]

    def _orphans_waiting(self, cutoff: datetime) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(_ANY_ORPHAN, {"owner": self.owner, "cutoff": cutoff,
                                                    "abandoned": []}).first() is not None


def _aware(moment: datetime) -> datetime:
    """SQLite gives datetimes back without their zone (they were written in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
