"""The decision ledger on SQLite and PostgreSQL: group commit, the hash chain, tamper evidence
(written through the ledger, read and verified through the decision log)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from gateway.decision import DecisionRecord, FindingRecord
from gateway.pii.findings import FindingExplanation
from gateway.store.chain import GENESIS_HASH
from gateway.store.decision_log import DecisionLog
from gateway.store.ledger import DecisionLedger
from gateway.pii.vault import SealedPseudonym
from gateway.store.models import DecisionRow, VaultEntry


def _record(i: int) -> DecisionRecord:
    finding = FindingRecord(
        entity_type="EMAIL_ADDRESS", location="messages[0].content", start=3, end=20, score=1.0, language="en",
        action="pseudonymise",
        explanation=FindingExplanation(recognizer="EmailRecognizer", original_score=1.0),
    )
    return DecisionRecord(decision_id=f"dec_{i:04d}", created_at=datetime.now(UTC), kind="chat", caller="bot",
                          purpose="customer-support", status_code=200, allowed=True, findings=[finding])


async def _write(database, records: list[DecisionRecord], vault=()) -> list[DecisionRecord]:  # type: ignore[no-untyped-def]
    ledger = DecisionLedger(database, batch_max=16)
    await ledger.start()
    try:
        return await asyncio.gather(*(ledger.record(r, vault if i == 0 else ()) for i, r in enumerate(records)))
    finally:
        await ledger.close()


def test_concurrent_records_form_one_chain(database) -> None:  # type: ignore[no-untyped-def]
    committed = asyncio.run(_write(database, [_record(i) for i in range(100)]))
    assert sorted(r.seq for r in committed) == list(range(1, 101))
    log = DecisionLog(database)
    check = log.verify_decisions()
    assert check.ok and check.checked == 100
    first = log.get(next(r.decision_id for r in committed if r.seq == 1))
    assert first is not None and first.prev_hash == GENESIS_HASH
    # Readers get back exactly what was hashed.
    assert log.get("dec_0042").findings[0].explanation.recognizer == "EmailRecognizer"


def test_tampering_is_detected(database) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_write(database, [_record(i) for i in range(5)]))
    with Session(database) as session:
        row = session.exec(select(DecisionRow).where(DecisionRow.seq == 3)).one()
        record = dict(row.record)
        record["status_code"] = 403
        row.record = record
        session.add(row)
        session.commit()
    check = DecisionLog(database).verify_decisions()
    assert not check.ok
    assert check.first_bad_seq == 3
    assert check.checked == 2


def test_deleting_a_record_breaks_the_chain(database) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_write(database, [_record(i) for i in range(5)]))
    with database.begin() as connection:
        connection.execute(text("DELETE FROM decisions WHERE seq = 2"))
    check = DecisionLog(database).verify_decisions()
    assert not check.ok and check.first_bad_seq == 3


def test_a_second_ledger_continues_the_chain(database) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_write(database, [_record(i) for i in range(3)]))
    asyncio.run(_write(database, [_record(i) for i in range(3, 6)]))
    check = DecisionLog(database).verify_decisions()
    assert check.ok and check.checked == 6


def test_vault_entries_commit_with_the_record(database) -> None:  # type: ignore[no-untyped-def]
    entry = SealedPseudonym(conversation_key="k", token="<PERSON_1>", value_digest="d", ciphertext=b"secret",
                            expires_at=datetime(2099, 1, 1, tzinfo=UTC))
    asyncio.run(_write(database, [_record(0)], vault=[entry]))
    with Session(database) as session:
        stored = session.exec(select(VaultEntry)).all()
    assert [(e.token, e.ciphertext) for e in stored] == [("<PERSON_1>", b"secret")]


def test_a_failed_write_fails_the_request_closed(database) -> None:  # type: ignore[no-untyped-def]
    from gateway.store.ledger import LedgerUnavailable

    async def scenario() -> None:
        ledger = DecisionLedger(database)
        await ledger.start()
        with database.begin() as connection:
            connection.execute(text("DROP TABLE decisions"))
        try:
            with pytest.raises(LedgerUnavailable):
                await ledger.record(_record(1))
            assert not ledger.healthy
        finally:
            await ledger.close()

    asyncio.run(scenario())


def test_cutting_off_the_newest_records_is_detected(database) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_write(database, [_record(i) for i in range(5)]))
    with database.begin() as connection:
        connection.execute(text("DELETE FROM decisions WHERE seq >= 4"))
    check = DecisionLog(database).verify_decisions()
    assert not check.ok and check.checked == 3 and "missing" in check.problem


def test_a_query_column_edited_apart_from_the_record_is_detected(database) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_write(database, [_record(i) for i in range(3)]))
    with database.begin() as connection:
        connection.execute(text("UPDATE decisions SET status_code = 500 WHERE seq = 2"))
    check = DecisionLog(database).verify_decisions()
    assert not check.ok and check.first_bad_seq == 2


def test_sequence_numbers_go_past_32_bits(database) -> None:  # type: ignore[no-untyped-def]
    # A 32-bit seq (PostgreSQL INTEGER) would end the ledger after 2^31 decisions.
    with database.begin() as connection:
        connection.execute(text("UPDATE chain_head SET seq = :seq WHERE id = 1"), {"seq": 2**40})
    committed = asyncio.run(_write(database, [_record(0)]))
    assert committed[0].seq == 2**40 + 1
    log = DecisionLog(database)
    assert [r.seq for r in log.page(before_seq=2**63 - 1)] == [2**40 + 1]
    assert log.page(before_seq=2**40 + 1) == []
