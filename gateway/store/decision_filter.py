"""Which decisions a reader asks for: `DecisionFilter` and the SQL conditions it becomes.

Each filter field names its target — a query column, a top-level field of the stored record,
the audit attributes' child table, a finding's entity type, an attached outcome — and the
target writes its condition for SQLite and PostgreSQL alike. `DecisionLog`
(gateway/store/decision_log.py) puts the conditions into its reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, String, Table, and_, exists, func, literal_column, or_, text

from gateway.store.models import DecisionAttribute, DecisionRow, OutcomeRow

_DECISIONS: Table = DecisionRow.__table__  # type: ignore[attr-defined]
_OUTCOMES: Table = OutcomeRow.__table__  # type: ignore[attr-defined]
_ATTRIBUTES: Table = DecisionAttribute.__table__  # type: ignore[attr-defined]


def as_utc(moment: datetime) -> datetime:
    """A time as UTC; a time without a zone is read as UTC. Raises OverflowError off the calendar.

    Records are stored in UTC, and SQLite compares the stored text, so a bound in another
    zone must be converted before the comparison, not after.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryColumn:
    """A filter on one of the decisions table's query columns (indexed where the table says)."""

    name: str

    def condition(self, value: Any, _dialect: str) -> ColumnElement[bool]:
        return _DECISIONS.c[self.name] == value


@dataclass(frozen=True)
class RecordField:
    """A filter on a top-level text field of the stored record, for facts without a column.

    Compared in SQL (json_extract on SQLite, ->> on PostgreSQL); unindexed unless a migration
    indexes the expression (0003b indexes conversation_id). Give the fact a column and switch
    its filter to QueryColumn when it is filtered on often.
    """

    key: str

    def __post_init__(self) -> None:
        # The key is written into the SQL text (so an expression index can match): ours, never input.
        if not re.fullmatch(r"[a-z_]+", self.key):
            raise ValueError("a record field is a lower-case name")

    def condition(self, value: Any, dialect: str) -> ColumnElement[bool]:
        return record_text(dialect, self.key) == value


@dataclass(frozen=True)
class AttributeIs:
    """Audit attributes' values, `((key, value), ...)`, all of them (an intersection of groups):
    through decision_attributes' (key, value, seq) index."""

    def condition(self, value: tuple[tuple[str, str], ...], _dialect: str) -> ColumnElement[bool]:
        return and_(*(exists().where(_ATTRIBUTES.c.decision_seq == _DECISIONS.c.seq, _ATTRIBUTES.c.key == key,
                                     _ATTRIBUTES.c.value == group) for key, group in value))


@dataclass(frozen=True)
class FoundEntity:
    """A finding of this entity type anywhere in the record (request or answer); unindexed:
    the other filters (time first) narrow what it scans."""

    def condition(self, value: str, dialect: str) -> ColumnElement[bool]:
        if dialect == "postgresql":
            sql = ("EXISTS (SELECT 1 FROM json_array_elements(decisions.record -> 'findings') AS f "
                   "WHERE f ->> 'entity_type' = :found_entity)")
        else:
            sql = ("EXISTS (SELECT 1 FROM json_each(decisions.record, '$.findings') AS f "
                   "WHERE json_extract(f.value, '$.entity_type') = :found_entity)")
        return text(sql).bindparams(found_entity=value)  # type: ignore[return-value]


@dataclass(frozen=True)
class HasOutcome:
    """An outcome with this code attached to the decision, or to its conversation (as
    OutcomeRecord.concerns reads it: a conversation's outcome names its caller, if any)."""

    def condition(self, value: str, dialect: str) -> ColumnElement[bool]:
        conversation = record_text(dialect, "conversation_id")
        return exists().where(_OUTCOMES.c.outcome == value, or_(
            _OUTCOMES.c.decision_id == _DECISIONS.c.decision_id,
            and_(_OUTCOMES.c.decision_id.is_(None), _OUTCOMES.c.conversation_id == conversation,
                 or_(_OUTCOMES.c.subject_caller.is_(None), _OUTCOMES.c.subject_caller == _DECISIONS.c.caller))))


FilterTarget = QueryColumn | RecordField | AttributeIs | FoundEntity | HasOutcome


class DecisionFilter(BaseModel):
    """Which decisions: every field given must match (None: any). One line per filter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    caller: Annotated[str | None, QueryColumn("caller")] = None
    purpose: Annotated[str | None, QueryColumn("purpose")] = None
    kind: Annotated[str | None, QueryColumn("kind")] = None
    status_code: Annotated[int | None, QueryColumn("status_code")] = None
    allowed: Annotated[bool | None, QueryColumn("allowed")] = None
    language: Annotated[str | None, QueryColumn("language")] = None
    channel: Annotated[str | None, QueryColumn("channel")] = None
    source: Annotated[str | None, QueryColumn("source")] = None
    region: Annotated[str | None, RecordField("customer_region")] = None
    # The keyed HMAC, as stored (the log never sees a raw conversation id).
    conversation_id: Annotated[str | None, RecordField("conversation_id")] = None
    attributes: Annotated[tuple[tuple[str, str], ...] | None, AttributeIs()] = None
    entity_type: Annotated[str | None, FoundEntity()] = None
    outcome: Annotated[str | None, HasOutcome()] = None


def _targets() -> dict[str, FilterTarget]:
    """Each filter's target; a filter without exactly one fails here, at import."""
    targets = {}
    for name, info in DecisionFilter.model_fields.items():
        found = [m for m in info.metadata if isinstance(m, FilterTarget)]
        if len(found) != 1:
            raise TypeError(f"DecisionFilter.{name} must name one filter target")
        targets[name] = found[0]
    return targets


_FILTER_TARGETS = _targets()


def record_text(dialect: str, key: str) -> ColumnElement[str]:
    """`record.<key>` as text, written as the expression index of migration 0003b writes it."""
    RecordField(key)  # checks the key
    if dialect == "postgresql":
        return _DECISIONS.c.record.op("->>", return_type=String)(literal_column(f"'{key}'"))
    return func.json_extract(_DECISIONS.c.record, literal_column(f"'$.{key}'"), type_=String)


def conditions(where: DecisionFilter, dialect: str, since: datetime | None,
                until: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for name, target in _FILTER_TARGETS.items():
        value = getattr(where, name)
        if value is not None:
            conditions.append(target.condition(value, dialect))
    if since is not None:
        conditions.append(_DECISIONS.c.created_at >= as_utc(since))
    if until is not None:
        conditions.append(_DECISIONS.c.created_at < as_utc(until))
    return conditions
