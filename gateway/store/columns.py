"""Decision records as columns: what `DecisionLog.batches` yields for analytics (audits, export).

A column is a dotted path into the record, checked against the model before any row is read
(`timings.total`, `route.region`, `customer_attributes.gender`: a dict field takes any key),
so a typo fails at once instead of quietly giving a column of None. Values keep their Python
types (datetimes stay datetimes). With outcomes, three more columns can be asked for:
`outcome` (the latest by occurred_at, then by chain order), `csat` (the latest given) and
`outcome_count`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from gateway.decision import DecisionRecord
from gateway.outcome import OutcomeRecord

DEFAULT_COLUMNS = (
    "seq", "decision_id", "created_at", "caller", "purpose", "kind", "model", "customer_region",
    "allowed", "status_code", "error_code", "policy.bundle_hash", "route.deployment", "route.region",
    "timings.total", "timings.pii", "timings.policy", "timings.upstream_ttft", "timings.overhead",
    "conversation_id", "customer_pseudonym",
)
OUTCOME_COLUMNS = ("outcome", "csat", "outcome_count")


def check_column(path: str, *, with_outcomes: bool = False) -> tuple[str, ...]:
    """The path's parts, or ValueError naming the path when the record has no such field."""
    if with_outcomes and path in OUTCOME_COLUMNS:
        return (path,)
    parts = tuple(path.split("."))
    model: type[BaseModel] | None = DecisionRecord
    for depth, part in enumerate(parts):
        if model is None:  # inside a dict field: any key
            continue
        field = model.model_fields.get(part)
        if field is None:
            raise ValueError(f"no column {path!r}: the decision record has no field {'.'.join(parts[:depth + 1])!r}")
        model = _model_in(field.annotation)
        if model is None and depth < len(parts) - 1 and not _is_dict(field.annotation):
            raise ValueError(f"no column {path!r}: {'.'.join(parts[:depth + 1])!r} has no fields")
    return parts


def columnar(rows: Iterable[tuple[DecisionRecord, list[OutcomeRecord] | None]], *, columns: Sequence[str],
             size: int, with_outcomes: bool) -> Iterator[dict[str, list[Any]]]:
    """Checks the columns now (ValueError), then yields batches of at most `size` rows."""
    if size < 1:
        raise ValueError("size must be positive")
    names = tuple(columns) or (DEFAULT_COLUMNS + (OUTCOME_COLUMNS if with_outcomes else ()))
    paths = {name: check_column(name, with_outcomes=with_outcomes) for name in names}
    return _fill(rows, paths, size)


def _fill(rows: Iterable[tuple[DecisionRecord, list[OutcomeRecord] | None]], paths: dict[str, tuple[str, ...]],
          size: int) -> Iterator[dict[str, list[Any]]]:
    names = tuple(paths)
    batch: dict[str, list[Any]] = {name: [] for name in names}
    filled = 0
    for record, outcomes in rows:
        summary = _summary(outcomes) if outcomes is not None else {}
        for name, parts in paths.items():
            batch[name].append(summary[name] if name in summary else _pluck(record, parts))
        filled += 1
        if filled == size:
            yield batch
            batch, filled = {name: [] for name in names}, 0
    if filled:
        yield batch


def _summary(outcomes: list[OutcomeRecord]) -> dict[str, Any]:
    latest = max(outcomes, key=lambda o: (o.occurred_at, o.seq or 0), default=None)
    rated = [o for o in outcomes if o.csat is not None]
    latest_rated = max(rated, key=lambda o: (o.occurred_at, o.seq or 0), default=None)
    return {"outcome": latest.outcome if latest else None, "csat": latest_rated.csat if latest_rated else None,
            "outcome_count": len(outcomes)}


def _pluck(value: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next((m for arg in typing.get_args(annotation) if (m := _model_in(arg)) is not None), None)
    return None


def _is_dict(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_dict(arg) for arg in typing.get_args(annotation))
    return annotation is dict or typing.get_origin(annotation) is dict
