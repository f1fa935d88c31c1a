"""The bulk writer of imported interactions: decision records and their outcomes, appended to
both hash chains in one database transaction (all or nothing).

Records join the ledger's chain exactly as proxied ones do: the same head lock, links and rows
(`ledger.link_prepared`) and the same for the outcome chain (`outcomes.link_prepared_outcomes`). Both heads are
locked for the whole import, so the gateway's ledger and outcome writers wait (or fail closed
past their busy timeout) meanwhile.

The rows go in through the driver itself, not SQLAlchemy's per-row parameter building (which
cost more than SQLite's own insert): `executemany` on SQLite, `COPY ... FROM STDIN` on
PostgreSQL, on the transaction's own connection. Each value still passes through its column
type's bind processor (so a time is stored as the ledger stores it), and the record column gets
the very text the chain hashed, as `ledger.insert_linked` binds it.

On SQLite the import's connection gets a bigger page cache while it runs (`IMPORT_CACHE_KIB`):
a million random decision ids otherwise evict the index pages each insert needs. Durability is
untouched: the journal mode and `synchronous` stay as `db.make_engine` set them.

Re-importing does not duplicate: decision ids are derived from the rows (gateway/importing.py),
and a record whose id is already stored — or earlier in the same import — is skipped with its
outcome. Batches are checked against the table inside the transaction, so they see the rows
this import has written so far.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table

from gateway.outcome import OutcomeRecord
from gateway.store import ledger, outcomes
from gateway.store.models import DecisionAttribute, DecisionRow, OutcomeRow

_DECISIONS = DecisionRow.__table__
# SQLite's page cache for the import's connection, in KiB (the default is 2 MiB): bounded, and
# given back when the import ends.
IMPORT_CACHE_KIB = 256 * 1024

# A record ready to join the chain, and its outcome if it has one, prepared (`prepare`): plain
# tuples, as the reading worker processes hand them over. (Importers reach the ledger's chain
# only through this module: tests/test_layering.py keeps the ledger's writer to the recorder.)
Unlinked = ledger.Unlinked
Entry = tuple[ledger.Prepared, outcomes.PreparedOutcome | None]
_DECISION_ID = ledger.QUERY_COLUMNS.index("decision_id")


def prepare(record: Unlinked, outcome: OutcomeRecord | None) -> Entry:
    """What the chains' linking derives from a record and its outcome, derived now (in the
    reading process): the writer then only hashes, links and inserts."""
    return ledger.prepare(record), outcomes.prepare_outcome(outcome) if outcome is not None else None


@dataclass(frozen=True)
class Appended:
    imported: int  # records written (each with its outcome, if it had one)
    present: int  # records skipped: their decision id was already stored
    outcomes: int


def append_imported(engine: Engine, batches: Iterable[Sequence[Entry]],
                    on_batch: Callable[[int], None] | None = None) -> Appended:
    """Append every batch in one transaction; any exception (a bad row found late, the database)
    rolls all of it back. `on_batch(n)`: n rows of a batch handled (progress)."""
    imported = present = outcome_count = 0
    with engine.begin() as connection, _import_cache(connection):
        seq, head = ledger.lock_head(connection)
        outcome_seq, outcome_head = outcomes.lock_head(connection)
        decisions = _BulkInsert(connection, _DECISIONS, {"record": "record_json"})
        attributes = _BulkInsert(connection, DecisionAttribute.__table__)
        outcome_rows = _BulkInsert(connection, OutcomeRow.__table__, {"record": "record_json"})
        for batch in batches:
            fresh = _fresh(connection, batch)
            present += len(batch) - len(fresh)
            linked = ledger.link_prepared([record for record, _ in fresh], seq, head)
            decisions.insert(linked.rows)
            attributes.insert(linked.attribute_rows)
            seq, head = linked.seq, linked.head_hash
            linked_outcomes = outcomes.link_prepared_outcomes([o for _, o in fresh if o is not None], outcome_seq,
                                                              outcome_head)
            outcome_rows.insert(linked_outcomes.rows)
            outcome_count += len(linked_outcomes.rows)
            outcome_seq, outcome_head = linked_outcomes.seq, linked_outcomes.head_hash
            imported += len(fresh)
            if on_batch is not None:
                on_batch(len(batch))
        ledger.move_head(connection, seq, head)
        outcomes.move_head(connection, outcome_seq, outcome_head)
    return Appended(imported=imported, present=present, outcomes=outcome_count)


class _BulkInsert:
    """Rows (dicts keyed as the ledger's inserts bind them) into one table through the driver.

    `raw` names the columns whose value is bound as it is (the stored JSON text, under its
    parameter name); every other column's value goes through its type's bind processor for
    this dialect, as SQLAlchemy's own insert would send it."""

    def __init__(self, connection: Connection, table: Table, raw: dict[str, str] | None = None) -> None:
        raw = raw or {}
        dialect = connection.dialect
        self._keys = [raw.get(column.name, column.name) for column in table.columns]
        self._processors = [
            (position, processor) for position, column in enumerate(table.columns) if column.name not in raw
            and (processor := column.type.dialect_impl(dialect).bind_processor(dialect)) is not None]
        self._driver = connection.connection.driver_connection
        names = ", ".join(dialect.identifier_preparer.quote(column.name) for column in table.columns)
        self._postgres = dialect.name == "postgresql"
        table_name = dialect.identifier_preparer.format_table(table)
        self._statement = (f"COPY {table_name} ({names}) FROM STDIN" if self._postgres else
                           f"INSERT INTO {table_name} ({names}) VALUES ({', '.join('?' * len(self._keys))})")

    def _tuples(self, rows: Sequence[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        keys, processors = self._keys, self._processors
        for row in rows:
            values = [row[key] for key in keys]
            for position, processor in processors:
                values[position] = processor(values[position])
            yield tuple(values)

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        cursor = self._driver.cursor()
        try:
            if self._postgres:
                with cursor.copy(self._statement) as copy:
                    for values in self._tuples(rows):
                        copy.write_row(values)
            else:
                cursor.executemany(self._statement, self._tuples(rows))
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


def _fresh(connection: Connection, batch: Sequence[Entry]) -> list[Entry]:
    """The batch without records already stored, or repeated within it (first one kept)."""
    ids = list({record[2][_DECISION_ID] for record, _ in batch})
    stored = _stored_ids(connection, ids) if ids else set()
    fresh: list[Entry] = []
    for entry in batch:
        decision_id = entry[0][2][_DECISION_ID]
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
