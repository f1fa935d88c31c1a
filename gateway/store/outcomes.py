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

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError

from gateway.outcome import OutcomeRecord
from gateway.store.chain import CHAIN_FIELDS, chain_hash
from gateway.store.models import OutcomeChainHead, OutcomeRow

_HEAD = OutcomeChainHead.__table__
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.record_hash).where(_HEAD.c.id == 1)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), record_hash=bindparam("new_hash"))
_OUTCOMES = OutcomeRow.__table__
_INSERT = insert(_OUTCOMES)
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
            connection.execute(_LOCK_HEAD)
            found = connection.execute(_FIND, {"reported_by": record.reported_by,
                                               "outcome_key": record.outcome_key}).first()
            if found is not None:
                stored = OutcomeRecord.model_validate(found.record)
                if not stored.same_report(record):
                    raise OutcomeConflict()
                return Attached(stored, created=False)
            seq, prev_hash = connection.execute(_READ_HEAD).one()
            seq += 1
            payload = record.model_dump(mode="json", exclude=CHAIN_FIELDS)
            record_hash = chain_hash(prev_hash, payload)
            payload.update(seq=seq, prev_hash=prev_hash, record_hash=record_hash)
            connection.execute(_INSERT, [_row(record, payload)])
            connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": record_hash})
        return Attached(record.model_copy(update={"seq": seq, "prev_hash": prev_hash, "record_hash": record_hash}),
                        created=True)


def _row(record: OutcomeRecord, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": payload["seq"],
        "outcome_key": record.outcome_key,
        "reported_by": record.reported_by,
        "decision_id": record.decision_id,
        "conversation_id": record.conversation_id,
        "subject_caller": record.subject_caller,
        "outcome": record.outcome,
        "csat": record.csat,
        "occurred_at": record.occurred_at,
        "recorded_at": record.recorded_at,
        "record": payload,
        "prev_hash": payload["prev_hash"],
        "record_hash": payload["record_hash"],
    }
