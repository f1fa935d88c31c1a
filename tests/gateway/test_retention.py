"""Retention purges on SQLite and PostgreSQL: what goes (a prefix of each chain, attribute rows,
outcomes on purged decisions only, expired vault entries), the signed checkpoint, and the
verifier after it: intact after a purge, naming the first bad record after a later edit, and
refusing a forged, altered, removed or unkeyed checkpoint."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, text, update

from gateway.config import MIN_RETENTION_DAYS, Settings
from gateway.decision import DecisionRecord
from gateway.keys import KeyedDigest, derive_key
from gateway.outcome import OutcomeRecord
from gateway.store.checkpoint import CHECKPOINT_KEY_PURPOSE
from gateway.store.db import make_engine, migrate
from gateway.store.decision_log import DecisionLog
from gateway.store.models import DecisionAttribute, DecisionRow, LedgerCheckpoint, OutcomeRow, VaultEntry
from gateway.store.outcomes import OutcomeStore
from gateway.store.retention import PurgeRefused, check_retention, plan_purge, purge
from tests.conftest import write

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=400)
DIGEST = KeyedDigest(derive_key(b"test-master-key", CHECKPOINT_KEY_PURPOSE))
WRONG = KeyedDigest(derive_key(b"someone-elses-key", CHECKPOINT_KEY_PURPOSE))
_CHECKPOINTS = LedgerCheckpoint.__table__
_DECISIONS = DecisionRow.__table__


def _record(i: int, *, minutes: int | None = None) -> DecisionRecord:
    return DecisionRecord(
        decision_id=f"dec_{i:032x}", created_at=T0 + timedelta(minutes=i if minutes is None else minutes),
        kind="chat", caller="support-bot", purpose="customer-support", customer_region="EU",
        customer_attributes={"segment": "gold", "age_band": "35-44"}, conversation_id=f"conv-digest-{i // 5}",
        status_code=200, allowed=True, stage="completed")




def outcome(key: str, *, decision: DecisionRecord | None = None, conversation: str | None = None,
            at: datetime) -> OutcomeRecord:
    return OutcomeRecord(outcome_key=key, reported_by="admin", decision_id=decision.decision_id if decision else None,
                         conversation_id=conversation, outcome="resolved", occurred_at=at, occurred_at_reported=True,
                         recorded_at=at)


def log(database, digest: KeyedDigest | None = DIGEST, **kwargs) -> DecisionLog:  # type: ignore[no-untyped-def]
    return DecisionLog(database, checkpoint_digest=digest, **kwargs)


def count(database, table) -> int:  # type: ignore[no-untyped-def]
    with database.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def thirty(database) -> list[DecisionRecord]:  # type: ignore[no-untyped-def]
    return write(database, [_record(i) for i in range(30)])


def test_a_purge_removes_a_prefix_and_the_ledger_still_verifies(database, thirty) -> None:  # type: ignore[no-untyped-def]
    store = OutcomeStore(database)
    # Outcome order: on decision 3, on conversation 2 (decisions 10-14), on decision 25, on decision 4.
    store.attach(outcome("o1", decision=thirty[3], at=T0 + timedelta(minutes=4)))
    store.attach(outcome("o2", conversation="conv-digest-2", at=T0 + timedelta(minutes=15)))
    store.attach(outcome("o3", decision=thirty[25], at=T0 + timedelta(minutes=26)))
    store.attach(outcome("o4", decision=thirty[4], at=T0 + timedelta(minutes=27)))
    assert plan_purge(database, T0 + timedelta(minutes=20)).decisions == 20

    checkpoint = purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST, chunk=7)

    assert (checkpoint.decision_seq, checkpoint.decision_hash) == (20, thirty[19].record_hash)
    assert (checkpoint.decisions_removed, checkpoint.attributes_removed) == (20, 40)
    # o1 and o2 concern only purged decisions; o3 a kept one, so o4 (behind it) stays too.
    assert (checkpoint.outcome_seq, checkpoint.outcomes_removed) == (2, 2)
    assert [r.seq for r in log(database).window()] == list(range(21, 31))
    assert count(database, DecisionAttribute.__table__) == 20
    assert count(database, OutcomeRow.__table__) == 2
    check = log(database, page_size=3).verify()
    assert check.ok, check
    assert (check.decisions.checked, check.outcomes.checked, check.checkpoints) == (10, 2, 1)
    assert check.as_dict()["checkpoints"] == 1
    # The ledger goes on from its head; the chain still verifies.
    write(database, [_record(100, minutes=60 * 24)])
    assert log(database).verify().ok
    assert log(database).checkpoints()[0].signature == checkpoint.signature


@pytest.mark.parametrize("seq", [21, 23, 30])
def test_an_edit_after_a_purge_is_named(database, thirty, seq: int) -> None:  # type: ignore[no-untyped-def]
    purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    with database.begin() as connection:
        stored = connection.execute(select(_DECISIONS.c.record).where(_DECISIONS.c.seq == seq)).scalar_one()
        connection.execute(update(_DECISIONS).where(_DECISIONS.c.seq == seq).values(
            record={**stored, "purpose": "marketing"}))
    check = log(database).verify_decisions()
    assert (check.ok, check.first_bad_seq, check.checked) == (False, seq, seq - 21)
    assert check.first_bad_id == thirty[seq - 1].decision_id


def test_a_record_deleted_after_the_checkpoint_is_named(database, thirty) -> None:  # type: ignore[no-untyped-def]
    purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    with database.begin() as connection:
        connection.execute(delete(_DECISIONS).where(_DECISIONS.c.seq == 21))
    check = log(database).verify_decisions()
    assert (check.ok, check.first_bad_seq) == (False, 22) and "missing" in (check.problem or "")


def _forge(database, **changes: object) -> None:  # type: ignore[no-untyped-def]
    with database.begin() as connection:
        connection.execute(update(_CHECKPOINTS).where(_CHECKPOINTS.c.id == 1).values(**changes))


def test_a_forged_checkpoint_is_refused(database, thirty) -> None:  # type: ignore[no-untyped-def]
    """Someone deletes more records and moves the checkpoint over them, signing with a key of their own."""
    checkpoint = purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    with database.begin() as connection:
        connection.execute(delete(_DECISIONS).where(_DECISIONS.c.seq <= 25))
    forged = replace(checkpoint, decision_seq=25, decision_hash=thirty[24].record_hash).signed(WRONG)
    _forge(database, decision_seq=25, decision_hash=forged.decision_hash, signature=forged.signature)
    check = log(database).verify()
    assert not check.ok and not check.decisions.ok and not check.outcomes.ok
    assert "not signed by this gateway's key" in (check.decisions.problem or "")
    assert check.as_dict()["first_bad_seq"] is None


@pytest.mark.parametrize("changes", [{"decisions_removed": 3}, {"decision_seq": 19}, {"forced": True},
                                     {"before": T0}, {"signature": "0" * 64}])
def test_an_altered_checkpoint_is_refused(database, thirty, changes: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    _forge(database, **changes)
    check = log(database).verify()
    assert not check.ok and "not signed" in (check.decisions.problem or "")


def test_a_removed_checkpoint_leaves_a_gap_the_verifier_names(database, thirty) -> None:  # type: ignore[no-untyped-def]
    purge(database, before=T0 + timedelta(minutes=10), now=NOW, digest=DIGEST)
    purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    assert [c.id for c in log(database).checkpoints()] == [1, 2] and log(database).verify().ok
    with database.begin() as connection:
        connection.execute(delete(_CHECKPOINTS).where(_CHECKPOINTS.c.id == 1))
    assert "does not follow" in (log(database).verify().decisions.problem or "")
    with database.begin() as connection:
        connection.execute(delete(_CHECKPOINTS))
    check = log(database).verify_decisions()
    assert (check.ok, check.first_bad_seq) == (False, 21) and "missing" in (check.problem or "")


def test_a_purged_ledger_needs_the_key_to_verify(database, thirty) -> None:  # type: ignore[no-untyped-def]
    assert log(database, digest=None).verify().ok  # never purged: no key needed
    purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    check = log(database, digest=None).verify()
    assert not check.ok and "HMAC key" in (check.decisions.problem or "")
    assert not log(database, digest=WRONG).verify().ok


def test_a_ledger_that_does_not_verify_is_not_purged(database, thirty) -> None:  # type: ignore[no-untyped-def]
    with database.begin() as connection:
        connection.execute(text("UPDATE decisions SET purpose = 'marketing' WHERE seq = 5"))
    with pytest.raises(PurgeRefused, match="does not verify"):
        purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    assert count(database, _DECISIONS) == 30 and count(database, _CHECKPOINTS) == 0


def test_an_old_record_behind_a_younger_one_waits(database) -> None:  # type: ignore[no-untyped-def]
    """Seq order is commit order: a chain loses only its front, so the purge stops at the first young record."""
    write(database, [_record(0), _record(1), _record(2, minutes=100), _record(3), _record(4)])
    checkpoint = purge(database, before=T0 + timedelta(minutes=50), now=NOW, digest=DIGEST)
    assert checkpoint.decision_seq == 2
    assert [r.decision_id for r in log(database).window()] == [_record(i).decision_id for i in (2, 3, 4)]
    assert log(database).verify().ok


def test_purging_everything_then_recording_again(database, thirty) -> None:  # type: ignore[no-untyped-def]
    checkpoint = purge(database, before=NOW, now=NOW, digest=DIGEST, forced=True)
    assert checkpoint.decisions_removed == 30 and count(database, _DECISIONS) == 0
    assert log(database).verify().ok
    assert purge(database, before=NOW, now=NOW, digest=DIGEST).decisions_removed == 0  # a second run: nothing left
    write(database, [_record(200, minutes=10)])
    check = log(database).verify()
    assert check.ok and check.decisions.checked == 1 and check.checkpoints == 2


def test_a_record_left_inside_the_purged_range_is_named(database, thirty) -> None:  # type: ignore[no-untyped-def]
    with database.connect() as connection:
        row = dict(connection.execute(select(_DECISIONS).where(_DECISIONS.c.seq == 3)).mappings().one())
    purge(database, before=T0 + timedelta(minutes=20), now=NOW, digest=DIGEST)
    with database.begin() as connection:
        connection.execute(insert(_DECISIONS).values(**row))
    check = log(database).verify_decisions()
    assert (check.ok, check.first_bad_seq) == (False, 3) and "purged range" in (check.problem or "")


def test_expired_vault_entries_go_with_the_purge(database, thirty) -> None:  # type: ignore[no-untyped-def]
    with database.begin() as connection:
        connection.execute(insert(VaultEntry.__table__), [
            {"conversation_key": "c", "token": f"<PERSON_{i}>", "value_digest": f"d{i}", "ciphertext": b"x",
             "expires_at": NOW + timedelta(hours=h)} for i, h in enumerate((-2, -1, 1))])
    checkpoint = purge(database, before=T0, now=NOW, digest=DIGEST)
    assert (checkpoint.decisions_removed, checkpoint.vault_removed) == (0, 2)
    assert count(database, VaultEntry.__table__) == 1
    assert log(database).verify().ok


def test_the_retention_minimum() -> None:
    check_retention(NOW - timedelta(days=365), now=NOW, retention_days=365, forced=False)
    with pytest.raises(PurgeRefused, match="younger than the retention period"):
        check_retention(NOW - timedelta(days=364), now=NOW, retention_days=365, forced=False)
    check_retention(NOW, now=NOW, retention_days=365, forced=True)
    assert Settings(retention_days=MIN_RETENTION_DAYS).retention_days == 183 == MIN_RETENTION_DAYS
    with pytest.raises(ValidationError):
        Settings(retention_days=MIN_RETENTION_DAYS - 1)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.lists(st.integers(0, 60), min_size=0, max_size=25), cut=st.integers(-1, 61),
       chunk=st.integers(1, 8), second_cut=st.integers(-1, 61))
def test_any_purge_keeps_the_suffix_from_the_first_young_record(tmp_path_factory, minutes: list[int], cut: int,  # type: ignore[no-untyped-def]
                                                                chunk: int, second_cut: int) -> None:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'govgate.db'}")
    migrate(engine)
    try:
        written = write(engine, [_record(i, minutes=m) for i, m in enumerate(minutes)])
        for before in (cut, second_cut):
            moment = T0 + timedelta(minutes=before)
            kept_before = [r.decision_id for r in log(engine).window()]
            young = next((i for i, r in enumerate(written) if r.created_at >= moment and r.decision_id in kept_before),
                         None)
            expected = [r.decision_id for r in written[young:]] if young is not None else []
            expected = [d for d in expected if d in kept_before]
            purge(engine, before=moment, now=NOW, digest=DIGEST, chunk=chunk)
            assert [r.decision_id for r in log(engine).window()] == expected
            check = log(engine, page_size=3).verify()
            assert check.ok and check.decisions.checked == len(expected), check
    finally:
        engine.dispose()
