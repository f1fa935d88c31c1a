"""The decision log: the one read-only way into the ledger and its outcomes.

Writers and readers are different doors. The pipeline writes through the ledger
(gateway/store/ledger.py) and services report outcomes through the outcome store
(gateway/store/outcomes.py); everything that reads — the decision API, the CLI, replay,
audits, explanations, export — reads here:

    get(decision_id)                     one record
    page(where, since, until, before_seq, limit)   newest first, for the API's list
    window(since, until, where)          every matching record in seq order, streamed
    window_with_outcomes(...)            the same, each with the outcomes that concern it
    batches(since, until, where, columns)           the same as column dicts, for analytics
    outcomes_for(decision_id)            outcomes of one decision (its own and its conversation's)
    conversation_started(id, caller)     when a conversation's first decision was made
    policy_activation(bundle_hash, at)   when the bundle a decision ran under was activated
    verify()                             both hash chains, from the genesis or the newest signed
                                         retention checkpoint (or one: verify_decisions(),
                                         verify_outcomes())
    checkpoints()                        the retention checkpoints purges left, oldest first

Which records: `DecisionFilter` (gateway/store/decision_filter.py). Streaming is by keyset pages (`seq > last ORDER BY seq LIMIT page_size`), each page in its
own short read, so memory is bounded by the page size whatever the window, no read holds a
transaction open for long, and the same code runs on SQLite and PostgreSQL. A window ends at
the chain head as it stood when the window was opened: it does not chase records committed
while it is read. Batches are plain `{column: [values]}` dicts, the shape
`pyarrow.RecordBatch.from_pydict(batch)` takes (the Parquet export, gateway/export.py, does).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, func, or_, select

from gateway.decision import DecisionRecord
from gateway.keys import KeyedDigest
from gateway.outcome import OutcomeRecord
from gateway.policy.documents import PolicyInput, PolicyResult
from gateway.store.chain import ChainCheck, StoredLink, walk
from gateway.store.checkpoint import Checkpoint, CheckpointCheck, check_checkpoints
from gateway.store.columns import columnar
# DecisionFilter and as_utc are read from here by the API, the CLI and the console, as before.
from gateway.store.decision_filter import DecisionFilter, as_utc, record_text
from gateway.store.decision_filter import conditions as filter_conditions
from gateway.store.derived import attributes_of, query_columns
from gateway.store.models import (ChainHead, DecisionAttribute, DecisionRow, LedgerCheckpoint, OutcomeChainHead,
                                  OutcomeRow, PolicyActivation)
from gateway.store.policy_versions import PolicyVersion

DEFAULT_PAGE_SIZE = 500
DEFAULT_BATCH_SIZE = 10_000
_DECISIONS: Table = DecisionRow.__table__  # type: ignore[attr-defined]
_OUTCOMES: Table = OutcomeRow.__table__  # type: ignore[attr-defined]
_DECISION_HEAD: Table = ChainHead.__table__  # type: ignore[attr-defined]
_OUTCOME_HEAD: Table = OutcomeChainHead.__table__  # type: ignore[attr-defined]
_ATTRIBUTES: Table = DecisionAttribute.__table__  # type: ignore[attr-defined]
_ACTIVATIONS: Table = PolicyActivation.__table__  # type: ignore[attr-defined]
_CHECKPOINTS: Table = LedgerCheckpoint.__table__  # type: ignore[attr-defined]


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerCheck:
    """Both chains. `ok` only when both are intact."""

    decisions: ChainCheck
    outcomes: ChainCheck
    # Retention checkpoints the walks started from (0: both from the genesis).
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return self.decisions.ok and self.outcomes.ok

    def as_dict(self) -> dict[str, Any]:
        """The shape GET /v1/decisions/verify and `govgate decisions verify --json` answer with:
        the decision chain's fields (its first bad record by `seq` and `decision_id`), and the
        outcome chain's under `outcomes`."""
        d = self.decisions
        return {"ok": self.ok, "checked": d.checked, "first_bad_seq": d.first_bad_seq, "decision_id": d.first_bad_id,
                "problem": d.problem, "checkpoints": self.checkpoints,
                "outcomes": outcome_check_dict(self.outcomes)}


def outcome_check_dict(check: ChainCheck) -> dict[str, Any]:
    return {"ok": check.ok, "checked": check.checked, "first_bad_seq": check.first_bad_seq,
            "outcome_key": check.first_bad_id, "problem": check.problem}


def _same_time(column: Any, stored: Any) -> bool:
    if not isinstance(column, datetime) or not isinstance(stored, str):
        return column is None and stored is None
    try:
        return as_utc(column) == as_utc(datetime.fromisoformat(stored))
    except ValueError:
        return False


def _same(key: str) -> Callable[[Any, Mapping[str, Any]], bool]:
    return lambda column, stored: column == stored.get(key)


# Each query column against the hashed record: the columns are what filters and windows use.
def _derived(name: str) -> Any:
    return lambda column, stored: column == query_columns(stored)[name]


_DECISION_COLUMNS = {
    **{name: _derived(name) for name in query_columns({})},
    "created_at": lambda column, stored: _same_time(column, stored.get("created_at")),
}
_OUTCOME_COLUMNS = {
    **{key: _same(key) for key in ("outcome_key", "reported_by", "decision_id", "conversation_id",
                                   "subject_caller", "outcome", "csat")},
    "occurred_at": lambda column, stored: _same_time(column, stored.get("occurred_at")),
    "recorded_at": lambda column, stored: _same_time(column, stored.get("recorded_at")),
}


# --- the reader ----------------------------------------------------------------------------


class DecisionLog:
    """Read-only. Every method blocks (database reads): async callers use a worker thread.

    `checkpoint_digest` checks the signatures of retention checkpoints (the gateway's HMAC
    key derived for CHECKPOINT_KEY_PURPOSE); without it a ledger that has been purged does
    not verify (the checkpoints cannot be trusted), one that never was verifies as before.
    """

    def __init__(self, engine: Engine, *, page_size: int = DEFAULT_PAGE_SIZE,
                 checkpoint_digest: KeyedDigest | None = None) -> None:
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self.engine = engine
        self.page_size = page_size
        self._dialect = engine.dialect.name
        self._checkpoint_digest = checkpoint_digest

    def get(self, decision_id: str) -> DecisionRecord | None:
        query = select(_DECISIONS.c.record).where(_DECISIONS.c.decision_id == decision_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return DecisionRecord.from_stored(row.record) if row else None

    def page(self, *, where: DecisionFilter = DecisionFilter(), since: datetime | None = None,
             until: datetime | None = None, before_seq: int | None = None, limit: int = 100) -> list[DecisionRecord]:
        """At most `limit` records, newest first; the next page starts before the last one's seq."""
        query = (select(_DECISIONS.c.record).where(*filter_conditions(where, self._dialect, since, until))
                 .order_by(_DECISIONS.c.seq.desc()).limit(limit))
        if before_seq is not None:
            query = query.where(_DECISIONS.c.seq < before_seq)
        with self.engine.connect() as connection:
            return [DecisionRecord.from_stored(row.record) for row in connection.execute(query)]

    def window(self, *, since: datetime | None = None, until: datetime | None = None,
               where: DecisionFilter = DecisionFilter()) -> Iterator[DecisionRecord]:
        """Every record created in [since, until) that matches, in seq order, a page at a time.

        Ends at the chain head as it stands now, when the window is opened."""
        return itertools.chain.from_iterable(self._pages(since, until, where))

    def window_with_outcomes(self, *, since: datetime | None = None, until: datetime | None = None,
                             where: DecisionFilter = DecisionFilter()
                             ) -> Iterator[tuple[DecisionRecord, list[OutcomeRecord]]]:
        """`window`, each record with its outcomes (oldest first): one outcome query per page."""
        return (pair for records in self._pages(since, until, where) for pair in self._with_outcomes(records))

    def batches(self, *, since: datetime | None = None, until: datetime | None = None,
                where: DecisionFilter = DecisionFilter(), columns: Sequence[str] = (),
                size: int = DEFAULT_BATCH_SIZE, with_outcomes: bool = False) -> Iterator[dict[str, list[Any]]]:
        """The window as column dicts of at most `size` rows (gateway/store/columns.py names the
        columns); ValueError at once for a column the record does not have."""
        rows: Iterable[tuple[DecisionRecord, list[OutcomeRecord] | None]]
        if with_outcomes:
            rows = self.window_with_outcomes(since=since, until=until, where=where)
        else:
            rows = ((record, None) for record in self.window(since=since, until=until, where=where))
        return columnar(rows, columns=columns, size=size, with_outcomes=with_outcomes)

    def policy_decisions(self, *, since: datetime | None = None, until: datetime | None = None,
                         where: DecisionFilter = DecisionFilter()
                         ) -> Iterator[tuple[str, PolicyInput, PolicyResult]]:
        """(decision id, policy input, policy result) of each record that has both: replay's feed."""
        for record in self.window(since=since, until=until, where=where):
            # Benchmark records are left out: their stages were switched off, so their inputs
            # are not what production would have asked.
            if record.benchmark or record.policy.input is None or record.policy.result is None:
                continue
            yield record.decision_id, record.policy.input, record.policy.result

    def outcomes_for(self, decision_id: str) -> list[OutcomeRecord]:
        """The outcomes of one decision: its own, and its conversation's that concern it. Oldest first."""
        record = self.get(decision_id)
        if record is None:
            return []
        return [o for o in self._outcomes_touching([record])
                if o.concerns(decision_id=decision_id, conversation_id=record.conversation_id, caller=record.caller)]

    def conversation_started(self, conversation_id: str, *, caller: str | None = None) -> datetime | None:
        """When the conversation's first decision (of `caller`, if given) was made; None: no such decision."""
        query = select(func.min(_DECISIONS.c.created_at)).where(
            record_text(self._dialect, "conversation_id") == conversation_id)
        if caller is not None:
            query = query.where(_DECISIONS.c.caller == caller)
        with self.engine.connect() as connection:
            first = connection.execute(query).scalar()
        return as_utc(first) if first is not None else None

    def policy_activation(self, bundle_hash: str, *, at: datetime) -> PolicyVersion | None:
        """The activation of `bundle_hash` in force at `at`: its latest at or before that time.

        A bundle can be activated more than once (every gateway process at startup, a reload
        back to an earlier version); the one that matters to a decision is the last before it.
        None: no activation of the bundle is recorded by then (an imported record's bundle,
        or a database that did not keep its history)."""
        query = (select(_ACTIVATIONS.c.bundle_hash, _ACTIVATIONS.c.activated_at, _ACTIVATIONS.c.source)
                 .where(_ACTIVATIONS.c.bundle_hash == bundle_hash, _ACTIVATIONS.c.activated_at <= as_utc(at))
                 .order_by(_ACTIVATIONS.c.activated_at.desc(), _ACTIVATIONS.c.id.desc()).limit(1))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return PolicyVersion(bundle_hash=row.bundle_hash, activated_at=as_utc(row.activated_at), source=row.source)

    def checkpoints(self) -> list[Checkpoint]:
        """The retention checkpoints, oldest first (a handful: one per purge run)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.id)).mappings().all()
        return [Checkpoint(**row) for row in rows]

    def head(self) -> tuple[int, str]:
        """The decision chain's head: its newest seq and record hash ((0, genesis) when empty)."""
        return self._head(_DECISION_HEAD)

    def verify(self) -> LedgerCheck:
        checkpoints = self._checked_checkpoints()
        return LedgerCheck(decisions=self.verify_decisions(checkpoints), outcomes=self.verify_outcomes(checkpoints),
                           checkpoints=checkpoints.count)

    def verify_decisions(self, checkpoints: CheckpointCheck | None = None) -> ChainCheck:
        checkpoints = checkpoints or self._checked_checkpoints()
        if not checkpoints.ok:
            return _refused(checkpoints)
        check = self._verify(_DECISIONS, _DECISION_HEAD, _DECISION_COLUMNS, "decision_id",
                             checkpoints.decisions_start)
        return self._verify_attributes(check) if check.ok else check

    def _checked_checkpoints(self) -> CheckpointCheck:
        return check_checkpoints(self.checkpoints(), self._checkpoint_digest)

    def _verify_attributes(self, check: ChainCheck) -> ChainCheck:
        """Each record's `decision_attributes` rows say what its hashed JSON says; none is stray."""
        columns = [_DECISIONS.c.seq, _DECISIONS.c.decision_id, _DECISIONS.c.record]
        last = 0
        for rows in self._keyset(_DECISIONS, columns, (), self._head(_DECISION_HEAD)[0]):
            found: dict[int, dict[str, str]] = {}
            query = select(_ATTRIBUTES.c.decision_seq, _ATTRIBUTES.c.key, _ATTRIBUTES.c.value).where(
                _ATTRIBUTES.c.decision_seq.between(last + 1, rows[-1].seq))
            with self.engine.connect() as connection:
                for decision_seq, key, value in connection.execute(query):
                    found.setdefault(decision_seq, {})[key] = value
            for row in rows:
                if found.pop(row.seq, {}) != attributes_of(row.record):
                    return ChainCheck(False, check.checked, row.seq, "the attribute rows disagree with the hashed record",
                                      row.decision_id)
            if found:
                return ChainCheck(False, check.checked, min(found), "attribute rows belong to no record")
            last = rows[-1].seq
        with self.engine.connect() as connection:
            stray = connection.execute(select(func.min(_ATTRIBUTES.c.decision_seq)).where(
                _ATTRIBUTES.c.decision_seq > last)).scalar()
        if stray is not None:
            return ChainCheck(False, check.checked, stray, "attribute rows belong to no record")
        return check

    def verify_outcomes(self, checkpoints: CheckpointCheck | None = None) -> ChainCheck:
        checkpoints = checkpoints or self._checked_checkpoints()
        if not checkpoints.ok:
            return _refused(checkpoints)
        return self._verify(_OUTCOMES, _OUTCOME_HEAD, _OUTCOME_COLUMNS, "outcome_key", checkpoints.outcomes_start)

    # --- internals -----------------------------------------------------------------------

    def _head(self, head: Table) -> tuple[int, str]:
        with self.engine.connect() as connection:
            seq, record_hash = connection.execute(select(head.c.seq, head.c.record_hash).where(head.c.id == 1)).one()
        return seq, record_hash

    def _keyset(self, table: Table, columns: Sequence[ColumnElement[Any]], conditions: Sequence[ColumnElement[bool]],
                upto: int) -> Iterator[list[Any]]:
        """Rows with seq <= upto in seq order, one page (one short read) at a time."""
        last = 0
        while True:
            query = (select(*columns).where(table.c.seq > last, table.c.seq <= upto, *conditions)
                     .order_by(table.c.seq).limit(self.page_size))
            with self.engine.connect() as connection:
                rows = list(connection.execute(query))
            if rows:
                yield rows
                last = rows[-1].seq
            if len(rows) < self.page_size:
                return

    def _pages(self, since: datetime | None, until: datetime | None,
               where: DecisionFilter) -> Iterator[list[DecisionRecord]]:
        """Reads the head now (not at the first next()), so the window's end is fixed when opened."""
        upto, _ = self._head(_DECISION_HEAD)
        conditions = filter_conditions(where, self._dialect, since, until)
        pages = self._keyset(_DECISIONS, (_DECISIONS.c.seq, _DECISIONS.c.record), conditions, upto)
        return ([DecisionRecord.from_stored(row.record) for row in rows] for rows in pages)

    def _with_outcomes(self, records: list[DecisionRecord]) -> list[tuple[DecisionRecord, list[OutcomeRecord]]]:
        outcomes = self._outcomes_touching(records)
        # Each record checks only the outcomes naming it or its conversation (a page's outcomes
        # against each of its records would be quadratic in the page).
        by_decision: dict[str, list[int]] = {}
        by_conversation: dict[str, list[int]] = {}
        for position, outcome in enumerate(outcomes):
            if outcome.decision_id is not None:
                by_decision.setdefault(outcome.decision_id, []).append(position)
            if outcome.conversation_id is not None:
                by_conversation.setdefault(outcome.conversation_id, []).append(position)
        paired = []
        for record in records:
            candidates = sorted({*by_decision.get(record.decision_id, ()),
                                 *(by_conversation.get(record.conversation_id, ()) if record.conversation_id else ())})
            paired.append((record, [outcomes[i] for i in candidates if outcomes[i].concerns(
                decision_id=record.decision_id, conversation_id=record.conversation_id, caller=record.caller)]))
        return paired

    def _outcomes_touching(self, records: Sequence[DecisionRecord]) -> list[OutcomeRecord]:
        """Outcomes naming one of these decisions or one of their conversations (filter with `concerns`)."""
        decisions = [r.decision_id for r in records]
        conversations = sorted({r.conversation_id for r in records if r.conversation_id is not None})
        matches = [_OUTCOMES.c.decision_id.in_(decisions)]
        if conversations:
            matches.append(_OUTCOMES.c.conversation_id.in_(conversations))
        query = select(_OUTCOMES.c.record).where(or_(*matches)).order_by(_OUTCOMES.c.seq)
        with self.engine.connect() as connection:
            return [OutcomeRecord.model_validate(row.record) for row in connection.execute(query)]

    def _verify(self, table: Table, head_table: Table, checks: Mapping[str, Any], name: str,
                start: tuple[int, str]) -> ChainCheck:
        head = self._head(head_table)
        columns = [table.c.seq, table.c.prev_hash, table.c.record_hash, table.c.record,
                   *(table.c[column] for column in checks)]
        links = (StoredLink(seq=row.seq, prev_hash=row.prev_hash, record_hash=row.record_hash, stored=row.record,
                            columns={column: getattr(row, column) for column in checks}, name=getattr(row, name))
                 for rows in self._keyset(table, columns, (), head[0]) for row in rows)
        check = walk(links, head, checks, start)
        if not check.ok:
            return check
        # Rows past the tip: one statement, so a record committed meanwhile (which moves the
        # head in the same transaction) is never mistaken for an inserted one.
        past = select(func.min(table.c.seq)).where(table.c.seq > select(head_table.c.seq).where(
            head_table.c.id == 1).scalar_subquery())
        with self.engine.connect() as connection:
            first_past = connection.execute(past).scalar()
            if first_past is None:
                return check
            named = connection.execute(select(table.c[name]).where(table.c.seq == first_past)).scalar()
        return ChainCheck(False, check.checked, first_past,
                          "a record lies past the chain head (inserted after the last committed record)", named)


def _refused(checkpoints: CheckpointCheck) -> ChainCheck:
    """A chain whose start cannot be trusted: nothing in it counts as checked."""
    return ChainCheck(False, 0, None, checkpoints.problem)
