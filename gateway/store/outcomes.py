"""The outcome store: the writer of outcomes, hash-chained beside the ledger (never editing it).

Outcomes have their own chain (`outcomes` and its one-row head `outcome_chain_head`), built as
the ledger's is (gateway/store/chain.py): the head row is locked inside the writing
transaction, so several gateway processes still build one chain. They arrive at a fraction
of the decision rate, so each outcome is its own short transaction (no group commit).

Idempotency: (reported_by, outcome_key) is unique. The check runs under the head lock, so two
retries racing each other cannot both insert: the second sees the first and gets its row.
Readers read outcomes through `gateway.store.decision_log.DecisionLog`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError

from gateway.outcome import OutcomeRecord
from gateway.store.chain import CHAIN_FIELDS, canonical_json, stored_json, text_hash
from gateway.store.json_text import json_text
from gateway.store.models import OutcomeChainHead, OutcomeRow

_HEAD = OutcomeChainHead.__table__
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.record_hash).where(_HEAD.c.id == 1)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), record_hash=bindparam("new_hash"))
_OUTCOMES = OutcomeRow.__table__
_INSERT = insert(_OUTCOMES).values(record=json_text("record_json"))
_FIND = select(_OUTCOMES.c.record).where(_OUTCOMES.c.reported_by == bindparam("reported_by"),
                                         _OUTCOMES.c.outcome_key == bindparam("outcome_key"))


class OutcomeConflict(Exception):
    """This reporter already used the outcome id for a different report."""


class OutcomesUnavailable(Exception):
    """The outcome could not be committed (the database lock or connection): nothing was stored."""


@dataclass(frozen=True)
class Attached:
    record: OutcomeRecord  # as stored, with its place in the chain
    created: bool  # False: an idempotent retry, answered with the stored outcome


class OutcomeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def attach(self, record: OutcomeRecord) -> Attached:
        """Commit `record` to the outcome chain, or return the one stored under its key.

        Blocking (a database transaction): call it from a worker thread. Raises
        OutcomeConflict when the key holds a different report, OutcomesUnavailable when the
        database could not take the write (e.g. its lock stayed held past the busy timeout).
        """
        try:
            return self._attach(record)
        except OperationalError:
            raise OutcomesUnavailable() from None

    def _attach(self, record: OutcomeRecord) -> Attached:
        with self.engine.begin() as connection:
            # Lock first (a row lock on PostgreSQL, the write lock on SQLite), then look.
            seq, prev_hash = lock_head(connection)
            found = connection.execute(_FIND, {"reported_by": record.reported_by,
                                               "outcome_key": record.outcome_key}).first()
            if found is not None:
                stored = OutcomeRecord.model_validate(found.record)
                if not stored.same_report(record):
                    raise OutcomeConflict()
                return Attached(stored, created=False)
            linked = link_outcomes([record], seq, prev_hash)
            insert_outcomes(connection, linked)
            move_head(connection, linked.seq, linked.head_hash)
        return Attached(linked.committed[0], created=True)


# --- joining the outcome chain: one report, or a bulk import (gateway/store/importer.py) ----


@dataclass
class LinkedOutcomes:
    """Outcomes placed on the outcome chain after (seq, prev_hash), as rows ready to insert."""

    rows: list[dict[str, Any]]
    committed: list[OutcomeRecord]
    seq: int  # the new head
    head_hash: str


def lock_head(connection: Connection) -> tuple[int, str]:
    """Take the outcome chain's write lock, then read its head (seq, record_hash)."""
    connection.execute(_LOCK_HEAD)
    seq, record_hash = connection.execute(_READ_HEAD).one()
    return seq, record_hash


def move_head(connection: Connection, seq: int, record_hash: str) -> None:
    connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": record_hash})


# An outcome prepared to join the chain (`prepare_outcome`): its columns' values in
# OUTCOME_COLUMNS' order and its canonical text. A plain tuple, as ledger.Prepared is (a bulk
# writer's worker processes hand them over pickled).
PreparedOutcome = tuple[tuple[Any, ...], str]
OUTCOME_COLUMNS = ("outcome_key", "reported_by", "decision_id", "conversation_id", "subject_caller", "outcome",
                   "csat", "occurred_at", "recorded_at")


def prepare_outcome(record: OutcomeRecord) -> PreparedOutcome:
    return (tuple(getattr(record, column) for column in OUTCOME_COLUMNS),
            canonical_json(record.model_dump(mode="json", exclude=CHAIN_FIELDS)))


def link_outcomes(records: Iterable[OutcomeRecord], seq: int, prev_hash: str) -> LinkedOutcomes:
    """Chain `records` in order after (seq, prev_hash); each row stores the hashed text (its
    chain fields appended), as the ledger's rows do."""
    records = list(records)
    linked = link_prepared_outcomes((prepare_outcome(record) for record in records), seq, prev_hash)
    linked.committed = [record.model_copy(update={"seq": row["seq"], "prev_hash": row["prev_hash"],
                                                  "record_hash": row["record_hash"]})
                        for record, row in zip(records, linked.rows, strict=True)]
    return linked


def link_prepared_outcomes(prepared: Iterable[PreparedOutcome], seq: int, prev_hash: str) -> LinkedOutcomes:
    """`link_outcomes` for outcomes prepared already (`prepare_outcome`), without `committed`
    (a bulk writer does not answer with them)."""
    linked = LinkedOutcomes([], [], seq, prev_hash)
    for values, canonical in prepared:
        linked.seq += 1
        record_hash = text_hash(linked.head_hash, canonical)
        row = dict(zip(OUTCOME_COLUMNS, values, strict=True))
        row.update(seq=linked.seq, record_json=stored_json(canonical, linked.seq, linked.head_hash, record_hash),
                   prev_hash=linked.head_hash, record_hash=record_hash)
        linked.rows.append(row)
        linked.head_hash = record_hash
    return linked


def insert_outcomes(connection: Connection, linked: LinkedOutcomes) -> None:
    if linked.rows:
        connection.execute(_INSERT, linked.rows)
