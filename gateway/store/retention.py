"""Retention: purge decisions older than a date, and leave a signed checkpoint where the
chains now start (gateway/store/checkpoint.py), so `verify()` still passes afterwards.

What a purge removes, each in the same transactions as the checkpoint that accounts for it:

- **decisions**: the longest prefix of the chain (in seq order) whose records were all
  created before the date, with their `decision_attributes` rows. A chain can only lose its
  front: a record older than the date behind a younger one (seq order is commit order, and a
  long stream is recorded when it ends) stays until the next purge.
- **outcomes**: the longest prefix of the outcome chain whose outcomes were recorded before
  the date and concern no decision still kept (neither by decision id nor by conversation).
  The outcome chain is cut and checkpointed like the decision chain.
- **vault entries** that have expired (now, whatever the date).

The work is done in chunks, each one short transaction that deletes a slice and rewrites
(and re-signs) this purge's checkpoint row, so the ledger is never locked for long and a
purge stopped half way leaves a ledger that verifies. Each transaction first takes the
chain head's lock, which serialises purges (and makes the ledger's next batch wait a moment).
A ledger that does not verify is not purged: deleting its front could hide what broke it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from gateway.keys import KeyedDigest
from gateway.store.chain import GENESIS_HASH
from gateway.store.checkpoint import NO_SIGNATURE, Checkpoint
from gateway.store.decision_log import DecisionLog, as_utc, record_text
from gateway.store.models import (ChainHead, DecisionAttribute, DecisionRow, LedgerCheckpoint, OutcomeRow,
                                  VaultEntry)

DEFAULT_CHUNK = 5_000
_DECISIONS = DecisionRow.__table__
_ATTRIBUTES = DecisionAttribute.__table__
_OUTCOMES = OutcomeRow.__table__
_VAULT = VaultEntry.__table__
_CHECKPOINTS = LedgerCheckpoint.__table__
_HEAD = ChainHead.__table__
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)


class PurgeRefused(Exception):
    """The purge was not started; the message says why (safe to show: no record content)."""


def check_retention(before: datetime, *, now: datetime, retention_days: int, forced: bool) -> None:
    """Refuse (PurgeRefused) a date that would delete records younger than the retention
    period, unless forced. `retention_days` is itself at least MIN_RETENTION_DAYS (config)."""
    cutoff = as_utc(now) - timedelta(days=retention_days)
    if as_utc(before) > cutoff and not forced:
        raise PurgeRefused(f"--before {as_utc(before).isoformat()} would delete records younger than the "
                           f"retention period ({retention_days} days: nothing after {cutoff.isoformat()}); "
                           "use --force to purge them anyway")


@dataclass(frozen=True)
class PurgePlan:
    """What a purge before `before` would remove from the decision chain, as of now."""

    before: datetime
    first_seq: int  # the first decision to go (when decisions > 0)
    last_seq: int  # the last decision to go; the first kept is last_seq + 1
    decisions: int


def plan_purge(engine: Engine, before: datetime) -> PurgePlan:
    before = as_utc(before)
    with engine.connect() as connection:
        start = _latest(connection)
        start_seq = start.decision_seq if start else 0
        last = _decision_prefix_end(connection, start_seq, before)
    return PurgePlan(before=before, first_seq=start_seq + 1, last_seq=last, decisions=last - start_seq)


def purge(engine: Engine, *, before: datetime, now: datetime, digest: KeyedDigest, forced: bool = False,
          chunk: int = DEFAULT_CHUNK) -> Checkpoint:
    """Purge, as the module says; the checkpoint it left. Raises PurgeRefused before any
    deletion when the ledger does not verify."""
    if chunk < 1:
        raise ValueError("chunk must be positive")
    before, now = as_utc(before), as_utc(now)
    check = DecisionLog(engine, checkpoint_digest=digest).verify()
    if not check.ok:
        broken = check.decisions if not check.decisions.ok else check.outcomes
        raise PurgeRefused(f"the ledger does not verify ({broken.problem}, at seq {broken.first_bad_seq}): "
                           "purging its front could hide what broke it; nothing was deleted")
    with engine.connect() as connection:
        upto = _decision_prefix_end(connection, _latest_seq(connection), before)

    checkpoint = _open(engine, before=before, now=now, forced=forced, digest=digest)
    while checkpoint.decision_seq < upto:
        step = min(upto, checkpoint.decision_seq + chunk)
        checkpoint = _step(engine, checkpoint, digest, lambda c, cp: _purge_decisions(c, cp, step))
    while True:
        previous = checkpoint.outcome_seq
        checkpoint = _step(engine, checkpoint, digest, lambda c, cp: _purge_outcomes(c, cp, before, chunk))
        if checkpoint.outcome_seq - previous < chunk:
            break
    return _step(engine, checkpoint, digest, lambda c, cp: _purge_vault(c, cp, now))


# --- steps (each one transaction, under the head lock) -------------------------------------------


def _open(engine: Engine, *, before: datetime, now: datetime, forced: bool, digest: KeyedDigest) -> Checkpoint:
    """This run's checkpoint row, carrying the previous one's chain starts forward."""
    with engine.begin() as connection:
        connection.execute(_LOCK_HEAD)
        previous = _latest(connection)
        checkpoint = Checkpoint(
            id=previous.id + 1 if previous else 1, purged_at=now, before=before, forced=forced,
            decision_seq=previous.decision_seq if previous else 0,
            decision_hash=previous.decision_hash if previous else GENESIS_HASH,
            outcome_seq=previous.outcome_seq if previous else 0,
            outcome_hash=previous.outcome_hash if previous else GENESIS_HASH,
            decisions_removed=0, attributes_removed=0, outcomes_removed=0, vault_removed=0,
            prev_signature=previous.signature if previous else NO_SIGNATURE,
        ).signed(digest)
        connection.execute(insert(_CHECKPOINTS).values(**_row(checkpoint)))
    return checkpoint


def _step(engine: Engine, checkpoint: Checkpoint, digest: KeyedDigest,
          work: Callable[[Connection, Checkpoint], Checkpoint]) -> Checkpoint:
    with engine.begin() as connection:
        connection.execute(_LOCK_HEAD)
        latest = _latest(connection)
        if latest is None or latest.id != checkpoint.id:
            raise PurgeRefused("another purge ran meanwhile; run this one again")
        updated = work(connection, checkpoint).signed(digest)
        connection.execute(update(_CHECKPOINTS).where(_CHECKPOINTS.c.id == checkpoint.id).values(**_row(updated)))
    return updated


def _purge_decisions(connection: Connection, checkpoint: Checkpoint, upto: int) -> Checkpoint:
    record_hash = connection.execute(select(_DECISIONS.c.record_hash).where(_DECISIONS.c.seq == upto)).scalar_one()
    attributes = connection.execute(delete(_ATTRIBUTES).where(_ATTRIBUTES.c.decision_seq <= upto)).rowcount or 0
    decisions = connection.execute(delete(_DECISIONS).where(_DECISIONS.c.seq <= upto)).rowcount or 0
    return replace(checkpoint, decision_seq=upto, decision_hash=record_hash,
                   decisions_removed=checkpoint.decisions_removed + decisions,
                   attributes_removed=checkpoint.attributes_removed + attributes)


def _purge_outcomes(connection: Connection, checkpoint: Checkpoint, before: datetime, chunk: int) -> Checkpoint:
    """The next slice of outcomes that concern only purged decisions, up to the first that does not."""
    rows = connection.execute(
        select(_OUTCOMES.c.seq, _OUTCOMES.c.decision_id, _OUTCOMES.c.conversation_id, _OUTCOMES.c.recorded_at,
               _OUTCOMES.c.record_hash).where(_OUTCOMES.c.seq > checkpoint.outcome_seq)
        .order_by(_OUTCOMES.c.seq).limit(chunk)).all()
    decisions = {r.decision_id for r in rows if r.decision_id is not None}
    conversations = {r.conversation_id for r in rows if r.conversation_id is not None}
    kept_decisions = set(connection.execute(select(_DECISIONS.c.decision_id).where(
        _DECISIONS.c.decision_id.in_(sorted(decisions)))).scalars()) if decisions else set()
    conversation = record_text(connection.dialect.name, "conversation_id")
    kept_conversations = set(connection.execute(select(conversation).distinct().where(
        conversation.in_(sorted(conversations)))).scalars()) if conversations else set()
    last = None
    for row in rows:
        if (as_utc(row.recorded_at) >= before or row.decision_id in kept_decisions
                or row.conversation_id in kept_conversations):
            break
        last = row
    if last is None:
        return checkpoint
    removed = connection.execute(delete(_OUTCOMES).where(_OUTCOMES.c.seq <= last.seq)).rowcount or 0
    return replace(checkpoint, outcome_seq=last.seq, outcome_hash=last.record_hash,
                   outcomes_removed=checkpoint.outcomes_removed + removed)


def _purge_vault(connection: Connection, checkpoint: Checkpoint, now: datetime) -> Checkpoint:
    removed = connection.execute(delete(_VAULT).where(_VAULT.c.expires_at <= now)).rowcount or 0
    return replace(checkpoint, vault_removed=checkpoint.vault_removed + removed)


# --- reads --------------------------------------------------------------------------------------


def _latest(connection: Connection) -> Checkpoint | None:
    row = connection.execute(select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.id.desc()).limit(1)).mappings().first()
    return Checkpoint(**row) if row else None


def _latest_seq(connection: Connection) -> int:
    latest = _latest(connection)
    return latest.decision_seq if latest else 0


def _decision_prefix_end(connection: Connection, start_seq: int, before: datetime) -> int:
    """The last seq of the prefix after `start_seq` created before `before` (start_seq: none)."""
    head = connection.execute(select(_HEAD.c.seq).where(_HEAD.c.id == 1)).scalar_one()
    first_young = connection.execute(select(func.min(_DECISIONS.c.seq)).where(
        _DECISIONS.c.seq > start_seq, _DECISIONS.c.seq <= head, _DECISIONS.c.created_at >= before)).scalar()
    return max(start_seq, (first_young - 1) if first_young is not None else head)


def _row(checkpoint: Checkpoint) -> dict[str, object]:
    return asdict(checkpoint)
