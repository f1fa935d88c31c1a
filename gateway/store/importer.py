"""The bulk writer of imported interactions: decision records and their outcomes, appended to
both hash chains in one database transaction (all or nothing).

Records join the ledger's chain exactly as proxied ones do: the same head lock, links and rows
(`ledger.link`, `ledger.insert_linked`) and the same for the outcome chain
(`outcomes.link_outcomes`). Both heads are locked for the whole import, so the gateway's
ledger and outcome writers wait (or fail closed past their busy timeout) meanwhile.

Re-importing does not duplicate: decision ids are derived from the rows (gateway/importing.py),
and a record whose id is already stored — or earlier in the same import — is skipped with its
outcome. Batches are checked against the table inside the transaction, so they see the rows
this import has written so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from gateway.outcome import OutcomeRecord
from gateway.store import ledger, outcomes
from gateway.store.models import DecisionRow

_DECISIONS = DecisionRow.__table__

# A record ready to join the chain, and its outcome if it has one. (Importers reach the ledger's
# chain only through this module: tests/test_layering.py keeps the ledger's writer to the recorder.)
Unlinked = ledger.Unlinked
Entry = tuple[Unlinked, OutcomeRecord | None]


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
    with engine.begin() as connection:
        seq, head = ledger.lock_head(connection)
        outcome_seq, outcome_head = outcomes.lock_head(connection)
        for batch in batches:
            fresh = _fresh(connection, batch)
            present += len(batch) - len(fresh)
            linked = ledger.link([unlinked for unlinked, _ in fresh], seq, head)
            ledger.insert_linked(connection, linked)
            seq, head = linked.seq, linked.head_hash
            linked_outcomes = outcomes.link_outcomes([o for _, o in fresh if o is not None], outcome_seq,
                                                     outcome_head)
            outcomes.insert_outcomes(connection, linked_outcomes)
            outcome_count += len(linked_outcomes.rows)
            outcome_seq, outcome_head = linked_outcomes.seq, linked_outcomes.head_hash
            imported += len(fresh)
            if on_batch is not None:
                on_batch(len(batch))
        ledger.move_head(connection, seq, head)
        outcomes.move_head(connection, outcome_seq, outcome_head)
    return Appended(imported=imported, present=present, outcomes=outcome_count)


def _fresh(connection, batch: Sequence[Entry]) -> list[Entry]:  # type: ignore[no-untyped-def]
    """The batch without records already stored, or repeated within it (first one kept)."""
    ids = {unlinked.payload["decision_id"] for unlinked, _ in batch}
    stored = set(connection.execute(select(_DECISIONS.c.decision_id)
                                    .where(_DECISIONS.c.decision_id.in_(ids))).scalars()) if ids else set()
    fresh: list[Entry] = []
    for entry in batch:
        decision_id = entry[0].payload["decision_id"]
        if decision_id not in stored:
            stored.add(decision_id)
            fresh.append(entry)
    return fresh
