"""Retention checkpoints: the signed statement a purge leaves where it cut the chains.

A purge deletes a prefix of each hash chain (gateway/store/retention.py). What it deleted can
no longer be rehashed, so the purge leaves a checkpoint saying where each chain now starts
(the last purged seq and its record hash) and what was removed, signed with an HMAC key
derived from the gateway's HMAC key for this use only (`CHECKPOINT_KEY_PURPOSE`, so no other
keyed digest the gateway stores can be replayed as a signature). Each checkpoint's signature
also covers the previous one's, so the rows form a chain of their own: someone with write
access to the database but not the key can neither forge a checkpoint over records they
deleted, nor alter or remove one (removing the newest makes the walk start earlier, where
the records are gone: "a record is missing").
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from gateway.keys import KeyedDigest
from gateway.store.chain import GENESIS_HASH, canonical_json

CHECKPOINT_KEY_PURPOSE = "ledger-checkpoint"
# Versioned domain tag in the signed text: a later layout cannot be confused with this one.
_DOMAIN = "govgate/ledger-checkpoint/v1\n"
NO_SIGNATURE = "0" * 64  # the previous signature of the first checkpoint


@dataclass(frozen=True)
class Checkpoint:
    """One row of `ledger_checkpoints`, as signed. Seqs and hashes are cumulative: the newest
    row says where each chain starts; the counts are what that one purge run removed."""

    id: int
    purged_at: datetime
    before: datetime
    forced: bool
    decision_seq: int
    decision_hash: str
    outcome_seq: int
    outcome_hash: str
    decisions_removed: int
    attributes_removed: int
    outcomes_removed: int
    vault_removed: int
    prev_signature: str
    signature: str = ""

    def signed_text(self) -> str:
        fields: dict[str, Any] = {k: v for k, v in asdict(self).items() if k != "signature"}
        for name in ("purged_at", "before"):
            fields[name] = _utc(fields[name]).isoformat()
        return _DOMAIN + canonical_json(fields)

    def signed(self, digest: KeyedDigest) -> Checkpoint:
        return Checkpoint(**{**asdict(self), "signature": digest(self.signed_text())})

    def signature_ok(self, digest: KeyedDigest) -> bool:
        return hmac.compare_digest(digest(self.signed_text()), self.signature)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "purged_at": _utc(self.purged_at).isoformat(), "before": _utc(self.before).isoformat()}


GENESIS = (0, GENESIS_HASH)


def _utc(moment: datetime) -> datetime:
    # SQLite hands back the stored time without its zone; it was written in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class CheckpointCheck:
    """The checkpoints' verdict: where each chain starts, or why none of it can be trusted."""

    ok: bool
    decisions_start: tuple[int, str] = GENESIS
    outcomes_start: tuple[int, str] = GENESIS
    problem: str | None = None
    bad_id: int | None = None
    count: int = 0


def check_checkpoints(rows: list[Checkpoint], digest: KeyedDigest | None) -> CheckpointCheck:
    """Every checkpoint signed, each over its predecessor's signature, none moving a chain back."""
    if not rows:
        return CheckpointCheck(True)
    if digest is None:
        return CheckpointCheck(False, problem="the ledger has retention checkpoints, and checking their "
                                              "signatures needs the gateway's HMAC key", bad_id=rows[0].id)
    previous: Checkpoint | None = None
    for row in rows:
        if not row.signature_ok(digest):
            return CheckpointCheck(False, problem=f"retention checkpoint {row.id} is not signed by this gateway's "
                                                  "key (forged or altered)", bad_id=row.id)
        expected = previous.signature if previous else NO_SIGNATURE
        if row.prev_signature != expected or (previous and row.id != previous.id + 1):
            return CheckpointCheck(False, problem=f"retention checkpoint {row.id} does not follow the one before "
                                                  "it (a checkpoint was removed or reordered)", bad_id=row.id)
        if previous and (row.decision_seq < previous.decision_seq or row.outcome_seq < previous.outcome_seq):
            return CheckpointCheck(False, problem=f"retention checkpoint {row.id} moves a chain's start back",
                                   bad_id=row.id)
        previous = row
    assert previous is not None
    return CheckpointCheck(True, (previous.decision_seq, previous.decision_hash),
                           (previous.outcome_seq, previous.outcome_hash), count=len(rows))
