"""The bulk writer of imported interactions: decision records and their outcomes, appended to
both hash chains in one database transaction (all or nothing).

Records join the ledger's chain exactly as proxied ones do: the same head lock, the same hash
and stored text (`chain.text_hash`, `chain.stored_json`, as `ledger.link_prepared` links them),
and the same for the outcome chain (`outcomes.link_prepared_outcomes`). Both heads are
locked for the whole import, so the gateway's ledger and outcome writers wait (or fail closed
past their busy timeout) meanwhile.

The rows go in through the driver itself, not SQLAlchemy's per-row parameter building (which
cost more than SQLite's own insert): `executemany` on SQLite, `COPY ... FROM STDIN` on
PostgreSQL, on the transaction's own connection. The reading processes bind each row
(`Shapes.prepare`: every value through its column type's bind processor, so a time is stored
as the ledger stores it); this process only links them (hash, seq, the stored text the chain
hashed, as `ledger.insert_linked` binds it) and inserts.

On SQLite the import's connection gets a bigger page cache while it runs (`IMPORT_CACHE_KIB`):
a million random decision ids otherwise evict the index pages each insert needs. Durability is
untouched: the journal mode and `synchronous` stay as `db.make_engine` set them. In WAL mode
with synchronous=NORMAL nothing is synced before the commit anyway, so `synchronous` has nothing
to give during the transaction; what the commit's checkpoint syncs (the WAL, then the database
file) is what makes it durable, and stays. That sync is started early instead: while the
import writes, a thread syncs the WAL file every few seconds (`_wal_synced_as_it_grows`), so
the commit does not wait for gigabytes at once.

Re-importing does not duplicate: decision ids are derived from the rows (gateway/importing.py),
and a record whose id is already stored — or earlier in the same import — is skipped with its
outcome. Batches are checked against the table inside the transaction, so they see the rows
this import has written so far.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, DateTime, Dialect, Engine, Table

from gateway.store import ledger, outcomes
from gateway.store.chain import stored_json, text_hash
from gateway.store.models import DecisionAttribute, DecisionRow, OutcomeRow

_DECISIONS: Table = DecisionRow.__table__  # type: ignore[attr-defined]
_ATTRIBUTES: Table = DecisionAttribute.__table__  # type: ignore[attr-defined]
_OUTCOMES: Table = OutcomeRow.__table__  # type: ignore[attr-defined]
# SQLite's page cache for the import's connection, in KiB (the default is 2 MiB): bounded, and
# given back when the import ends.
IMPORT_CACHE_KIB = 512 * 1024
# How often the WAL is synced while an import writes it (SQLite files only).
WAL_SYNC_INTERVAL_S = 2.0

# Importers reach the ledger's chain only through this module (tests/test_layering.py keeps
# the ledger's writer to the recorder).
_CHAIN = ("seq", "record", "prev_hash", "record_hash")


# A record (and its outcome) as the reading process hands it over: (its row bound in the
# table's column order with the chain's four columns left empty (`_CHAIN`), its canonical
# text, its attribute (key, value) pairs, its outcome as (row, canonical text) or None).
# A plain tuple: a million of them cross from the reading processes, and a tuple costs a
# fraction of a class instance to unpickle.
Entry = tuple[list[Any], str, tuple[tuple[str, str], ...], tuple[list[Any], str] | None]


class _RowShape:
    """One table's insert row: column order and each column's bind processor for the dialect,
    as SQLAlchemy's own insert would send the value. The chain columns stay empty until linked."""

    def __init__(self, dialect: Dialect, table: Table) -> None:
        self.columns = [column.name for column in table.columns]
        self._processors = [
            (position, processor) for position, column in enumerate(table.columns) if column.name not in _CHAIN
            and (processor := _bind_processor(dialect, column)) is not None]
        self.chain = tuple(self.columns.index(name) if name in self.columns else -1 for name in _CHAIN)

    def bind(self, values: dict[str, Any]) -> list[Any]:
        row = [values.get(name) for name in self.columns]
        for position, processor in self._processors:
            row[position] = processor(row[position])
        return row


def _bind_processor(dialect: Dialect, column: Any) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for a time on SQLite, the same text spelled out
    (SQLAlchemy's takes several microseconds a value, a third of a row's binding), used only
    when it gives what SQLAlchemy's gives for every sample time."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None or dialect.name != "sqlite" or not isinstance(getattr(column.type, "impl", None), DateTime):
        return processor
    if all(_sqlite_utc_text(moment) == processor(moment) for moment in _SAMPLE_TIMES):
        return _sqlite_utc_text
    return processor


def _sqlite_utc_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


_SAMPLE_TIMES = (None, datetime(2026, 11, 1, tzinfo=UTC), datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
                 datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                 datetime(2026, 3, 29, 1, 30, 5, 120, tzinfo=timezone(timedelta(hours=2))),
                 datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))


class Shapes:
    """How an import's rows are bound for one database (built from its engine before the
    reading processes start, so they bind with it; the writer then only links and inserts)."""

    def __init__(self, dialect: Dialect) -> None:
        self.decisions = _RowShape(dialect, _DECISIONS)
        self.outcomes = _RowShape(dialect, _OUTCOMES)
        self._attribute_columns = [column.name for column in _ATTRIBUTES.columns]
        assert self._attribute_columns == ["decision_seq", "key", "value"], "decision_attributes changed"
        self.decision_id = self.decisions.columns.index("decision_id")
        # Every column but the chain's is bound from what `prepare` derives.
        assert set(self.decisions.columns) - set(_CHAIN) == {*ledger.QUERY_COLUMNS, "created_at"}
        assert set(self.outcomes.columns) - set(_CHAIN) == set(outcomes.OUTCOME_COLUMNS)

    def prepare(self, created_at: datetime, canonical: str, columns: dict[str, Any], attributes: dict[str, str],
                outcome: tuple[dict[str, Any], str] | None) -> Entry:
        """A record to join the chain — its canonical text, the query columns and attribute
        rows its JSON gives (store/derived.py) — and its outcome (its OutcomeRecord fields and
        their canonical JSON, as `outcomes.prepare_outcome` gives them), bound now (in the
        reading process): the writer then only links and inserts."""
        assert tuple(columns) == ledger.QUERY_COLUMNS
        row = self.decisions.bind({**columns, "created_at": created_at})
        prepared_outcome = None
        if outcome is not None:
            fields, outcome_canonical = outcome
            prepared_outcome = (self.outcomes.bind(fields), outcome_canonical)
        return row, canonical, tuple(attributes.items()), prepared_outcome


@dataclass(frozen=True)
class Appended:
    imported: int  # records written (each with its outcome, if it had one)
    present: int  # records skipped: their decision id was already stored
    outcomes: int


def append_imported(engine: Engine, shapes: Shapes, batches: Iterable[Sequence[Entry]],
                    on_batch: Callable[[int], None] | None = None) -> Appended:
    """Append every batch in one transaction; any exception (a bad row found late, the database)
    rolls all of it back. `on_batch(n)`: n rows of a batch handled (progress)."""
    imported = present = outcome_count = 0
    with _wal_synced_as_it_grows(engine), engine.begin() as connection, _import_cache(connection):
        seq, head = ledger.lock_head(connection)
        outcome_seq, outcome_head = outcomes.lock_head(connection)
        decisions = _BulkInsert(connection, _DECISIONS, shapes.decisions.columns)
        attributes = _BulkInsert(connection, _ATTRIBUTES, ["decision_seq", "key", "value"])
        outcome_rows = _BulkInsert(connection, _OUTCOMES, shapes.outcomes.columns)
        for batch in batches:
            fresh = _fresh(connection, batch, shapes.decision_id)
            present += len(batch) - len(fresh)
            first_seq = seq + 1
            rows, seq, head = _link(((row, canonical) for row, canonical, _, _ in fresh), shapes.decisions.chain,
                                    seq, head)
            decisions.insert(rows)
            attributes.insert([(decision_seq, key, value) for decision_seq, (_, _, pairs, _) in
                               enumerate(fresh, start=first_seq) for key, value in pairs])
            outcome_list, outcome_seq, outcome_head = _link(
                (entry[3] for entry in fresh if entry[3] is not None), shapes.outcomes.chain, outcome_seq,
                outcome_head)
            outcome_rows.insert(outcome_list)
            outcome_count += len(outcome_list)
            imported += len(fresh)
            if on_batch is not None:
                on_batch(len(batch))
        ledger.move_head(connection, seq, head)
        outcomes.move_head(connection, outcome_seq, outcome_head)
    return Appended(imported=imported, present=present, outcomes=outcome_count)


def _link(prepared: Iterable[tuple[list[Any], str]], chain: tuple[int, ...], seq: int,
          head: str) -> tuple[list[list[Any]], int, str]:
    """Bound rows joined to a chain after (seq, head), filled in place: the same hash and stored
    text, from the same functions, as `ledger.link_prepared` and
    `outcomes.link_prepared_outcomes` give the rows they build as dicts."""
    at_seq, at_record, at_prev, at_hash = chain
    rows = []
    for row, canonical in prepared:
        seq += 1
        record_hash = text_hash(head, canonical)
        row[at_seq], row[at_record], row[at_prev], row[at_hash] = (
            seq, stored_json(canonical, seq, head, record_hash), head, record_hash)
        rows.append(row)
        head = record_hash
    return rows, seq, head


class _BulkInsert:
    """Bound rows (lists in `columns`' order) into one table through the driver: `executemany`
    on SQLite, `COPY ... FROM STDIN` on PostgreSQL, on the transaction's own connection."""

    def __init__(self, connection: Connection, table: Table, columns: list[str]) -> None:
        dialect = connection.dialect
        assert columns == [column.name for column in table.columns]
        self._driver = connection.connection.driver_connection
        names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
        self._postgres = dialect.name == "postgresql"
        table_name = dialect.identifier_preparer.format_table(table)
        self._statement = (f"COPY {table_name} ({names}) FROM STDIN" if self._postgres else
                           f"INSERT INTO {table_name} ({names}) VALUES ({', '.join('?' * len(columns))})")

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cursor = self._driver.cursor()
        try:
            if self._postgres:
                with cursor.copy(self._statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self._statement, rows)
        finally:
            cursor.close()


@contextmanager
def _import_cache(connection: Connection) -> Iterator[None]:
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    (before,) = driver.execute("PRAGMA cache_size").fetchone()
    driver.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def _wal_synced_as_it_grows(engine: Engine) -> Iterator[None]:
    """On a SQLite file: fdatasync its WAL every WAL_SYNC_INTERVAL_S from a thread while the
    import runs (the kernel otherwise holds gigabytes of it dirty until the commit's checkpoint
    syncs it, and the disk then writes them all while the commit waits). Only the WAL is
    opened: SQLite takes no POSIX locks on it, so opening and closing it here cannot drop
    the connection's locks (closing any descriptor of a file drops the process's locks on it)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        yield
        return
    wal = f"{database}-wal"
    stop = threading.Event()

    def sync() -> None:
        descriptor = None
        try:
            while not stop.wait(WAL_SYNC_INTERVAL_S):
                if descriptor is None:
                    try:
                        descriptor = os.open(wal, os.O_RDONLY)
                    except FileNotFoundError:  # not written yet
                        continue
                os.fdatasync(descriptor)
        finally:
            if descriptor is not None:
                os.close(descriptor)

    syncer = threading.Thread(target=sync, name="import-wal-sync", daemon=True)
    syncer.start()
    try:
        yield
    finally:
        stop.set()
        syncer.join()


def _fresh(connection: Connection, batch: Sequence[Entry], at_id: int) -> list[Entry]:
    """The batch without records already stored, or repeated within it (first one kept)."""
    ids = list({entry[0][at_id] for entry in batch})
    stored = _stored_ids(connection, ids) if ids else set()
    fresh: list[Entry] = []
    for entry in batch:
        decision_id = entry[0][at_id]
        if decision_id not in stored:
            stored.add(decision_id)
            fresh.append(entry)
    return fresh


def _stored_ids(connection: Connection, ids: list[str]) -> set[str]:
    """Which of `ids` the decisions table holds, by one statement with one parameter (an IN
    list of 5,000 bound parameters is compiled anew for each batch, dearer than the lookup)."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(f"SELECT decision_id FROM {_DECISIONS.name} WHERE decision_id = ANY(%s)", (ids,))
        else:
            cursor.execute(f"SELECT decision_id FROM {_DECISIONS.name} WHERE decision_id IN (SELECT value FROM json_each(?))",
                           (json.dumps(ids),))
        return {decision_id for (decision_id,) in cursor.fetchall()}
    finally:
        cursor.close()
