"""The open-stream journal (gateway/store/ledger.py; docs/decision-record.md, "Durability") on
SQLite and PostgreSQL: a dead process's open stream becomes exactly one "interrupted" record
and a live one's is left alone, two processes recovering at once make one record per stream,
a stream's end chains its record and deletes its journal row in one transaction, a stream
recovered while its process was only slow is not recorded twice, one whose end could not be
recorded (or whose response never started) is recorded as interrupted by its own process, and the journal row of a
stream held open through a real gateway holds no raw value.

Kill -9 of a real server is tests/gateway/test_durability.py; here the ledgers are driven
directly, a dead process being one whose ledger is closed and whose heartbeat is set back.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from gateway.decision import DecisionRecord, FindingRecord
from gateway.pii.findings import FindingExplanation
from gateway.store.db import make_engine, migrate
from gateway.store.decision_log import DecisionLog
from gateway.store.ledger import INTERRUPTED, DecisionLedger, LedgerUnavailable
from tests.conftest import Gateway, _postgres_database
from tests.gateway.hostile_upstream import HostileUpstream, chunk, hostile_gateway
from tests.gateway.test_no_raw_pii import CONVERSATION_ID, CUSTOMER_ID, MESSAGE, database_texts, hits
from tests.conftest import SUPPORT_HEADERS
from tests.gateway.test_ledger_stall import write_lock_held


def provisional(name: str) -> DecisionRecord:
    """What the pipeline journals when a stream opens (gateway/stages/recording.py)."""
    finding = FindingRecord(entity_type="EMAIL_ADDRESS", location="messages[0].content", start=3, end=20, score=1.0,
                            language="en", action="pseudonymise",
                            explanation=FindingExplanation(recognizer="EmailRecognizer", original_score=1.0))
    return DecisionRecord(decision_id=f"dec_{name}", created_at=datetime.now(UTC), kind="chat", caller="bot",
                          purpose="customer-support", streamed=True, stage="answer", status_code=200,
                          error_code=INTERRUPTED, allowed=True, findings=[finding])


def final(record: DecisionRecord) -> DecisionRecord:
    return record.model_copy(update={"stage": "completed", "error_code": None})


async def started(engine: Engine, **settings: Any) -> DecisionLedger:
    ledger = DecisionLedger(engine, **settings)
    await ledger.start()
    return ledger


def journal(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT decision_id, owner FROM open_streams")).all())


def decisions(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT record FROM decisions ORDER BY seq")).scalars().all()
    return [row if isinstance(row, dict) else json.loads(row) for row in rows]


def processes(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(text("SELECT owner FROM gateway_processes")).scalars())


def silence(engine: Engine, owner: str) -> None:
    """The process's last heartbeat was a day ago (it was killed, or stalls): its row is there,
    stale (a ledger that closes deletes its row; one killed leaves it)."""
    past = datetime.now(UTC) - timedelta(days=1)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM gateway_processes WHERE owner = :owner"), {"owner": owner})
        connection.execute(text("INSERT INTO gateway_processes (owner, started_at, heartbeat_at) "
                                "VALUES (:owner, :past, :past)"), {"owner": owner, "past": past})


def test_a_dead_processes_stream_becomes_one_interrupted_record_a_live_ones_stays(database: Engine) -> None:
    async def scenario() -> None:
        dead, live = await started(database), await started(database)
        await dead.open_stream(provisional("dead"))
        await live.open_stream(provisional("live"))
        await dead.close()
        silence(database, dead.owner)  # as if killed
        recoverer = await started(database)  # recovers at startup
        try:
            assert journal(database) == {"dec_live": live.owner}
            assert dead.owner not in processes(database)
            assert await recoverer.beat() == 0 and await live.beat() == 0  # nothing more to recover
            assert [r["decision_id"] for r in decisions(database)] == ["dec_dead"]
            await live.record(final(provisional("live")), closes_stream=True)
        finally:
            await recoverer.close()
            await live.close()

    asyncio.run(scenario())
    stored = decisions(database)
    assert [(r["decision_id"], r["status_code"], r["stage"], r["error_code"]) for r in stored] == [
        ("dec_dead", 200, "answer", INTERRUPTED), ("dec_live", 200, "completed", None)]
    assert stored[0]["findings"][0]["entity_type"] == "EMAIL_ADDRESS"  # the request's findings, as journalled
    assert journal(database) == {}
    assert DecisionLog(database).verify_decisions().ok


def test_a_process_that_shut_down_leaves_its_open_streams_to_the_next_at_once(database: Engine) -> None:
    async def scenario() -> None:
        stopped = await started(database)
        await stopped.open_stream(provisional("left"))
        await stopped.close()  # a stream was still open: it can no longer end
        assert stopped.owner not in processes(database)
        successor = await started(database)  # no staleness to wait for
        await successor.close()

    asyncio.run(scenario())
    assert [(r["decision_id"], r["error_code"]) for r in decisions(database)] == [("dec_left", INTERRUPTED)]
    assert journal(database) == {}


def test_two_processes_recovering_at_once_make_one_record_per_stream(database: Engine, database_url: str) -> None:
    other = make_engine(database_url)  # a second process: its own connections
    streams = [f"r{round_}_{i}" for round_ in range(3) for i in range(8)]

    async def scenario() -> list[int]:
        first, second = await started(database), await started(other)
        counts = []
        try:
            for round_ in range(3):
                dead = await started(database)
                await asyncio.gather(*(dead.open_stream(provisional(f"r{round_}_{i}")) for i in range(8)))
                await dead.close()
                silence(database, dead.owner)
                counts += await asyncio.gather(first.beat(), second.beat())
        finally:
            await first.close()
            await second.close()
        return counts

    try:
        counts = asyncio.run(scenario())
    finally:
        other.dispose()
    assert sum(counts) == len(streams)
    assert sorted(r["decision_id"] for r in decisions(database)) == sorted(f"dec_{s}" for s in streams)
    assert journal(database) == {}
    check = DecisionLog(database).verify_decisions()
    assert check.ok and check.checked == len(streams)


def test_a_streams_end_chains_its_record_and_deletes_its_row_in_one_transaction(database: Engine) -> None:
    async def scenario() -> None:
        ledger = await started(database)
        try:
            await ledger.open_stream(provisional("twice"))
            await ledger.open_stream(provisional("ends"))
            # Another record already holds the id: chaining the final record fails, and the
            # journal row's deletion, in the same transaction, is rolled back with it.
            await ledger.record(final(provisional("twice")))
            with pytest.raises(LedgerUnavailable):
                await ledger.record(final(provisional("twice")), closes_stream=True)
            assert set(journal(database)) == {"dec_twice", "dec_ends"}
            committed = await ledger.record(final(provisional("ends")), closes_stream=True)
            assert committed.seq == 2
            assert set(journal(database)) == {"dec_twice"}
            # The failed end left its row to the next beat, which finds the id recorded: the row
            # goes, no second record (a row can never poison the writer's batches).
            assert await ledger.beat() == 0
            assert journal(database) == {}
        finally:
            await ledger.close()

    asyncio.run(scenario())
    assert [r["decision_id"] for r in decisions(database)] == ["dec_twice", "dec_ends"]
    assert DecisionLog(database).verify_decisions().ok


def test_a_stream_taken_for_dead_is_not_recorded_twice(database: Engine) -> None:
    async def scenario() -> None:
        slow = await started(database)
        try:
            await slow.open_stream(provisional("slow"))
            silence(database, slow.owner)  # a stall: its heartbeat went stale while it lived
            other = await started(database)  # takes the stream for an orphan
            await other.close()
            # The stream ends after all; its id has its record already, the interrupted one.
            await slow.record(final(provisional("slow")), closes_stream=True)
            await slow.record(final(provisional("next")))  # and the ledger goes on
        finally:
            await slow.close()

    asyncio.run(scenario())
    assert [(r["decision_id"], r["error_code"]) for r in decisions(database)] == [
        ("dec_slow", INTERRUPTED), ("dec_next", None)]
    assert DecisionLog(database).verify_decisions().ok


def test_a_stream_whose_end_could_not_be_recorded_is_recorded_as_interrupted(database_url: str) -> None:
    engine = make_engine(database_url, busy_timeout_s=0.3)
    migrate(engine)
    holder = SimpleNamespace(settings=SimpleNamespace(effective_database_url=database_url))

    async def scenario() -> None:
        ledger = await started(engine)
        try:
            await ledger.open_stream(provisional("unended"))
            await ledger.open_stream(provisional("unstarted"))
            with write_lock_held(holder):  # type: ignore[arg-type]
                with pytest.raises(LedgerUnavailable):
                    await ledger.record(final(provisional("unended")), closes_stream=True)
            ledger.abandon_stream("dec_unstarted")  # a response that never ran its relay
            assert await ledger.beat() == 2
            assert await ledger.beat() == 0
        finally:
            await ledger.close()

    try:
        asyncio.run(scenario())
        assert sorted((r["decision_id"], r["error_code"]) for r in decisions(engine)) == [
            ("dec_unended", INTERRUPTED), ("dec_unstarted", INTERRUPTED)]
        assert journal(engine) == {}
        assert DecisionLog(engine).verify_decisions().ok
    finally:
        engine.dispose()


# --- through a real gateway --------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def held(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         pii_engine) -> Iterator[tuple[Gateway, HostileUpstream]]:  # type: ignore[no-untyped-def]
    tmp = Path(tmp_path_factory.mktemp(f"stream-journal-{request.param}"))
    urls = iter([None]) if request.param == "sqlite" else _postgres_database()
    for database_url in urls:
        yield from hostile_gateway(tmp, pii_engine, database_url=database_url)


def test_a_held_streams_journal_row_is_its_provisional_record_without_raw_values(
        held: tuple[Gateway, HostileUpstream]) -> None:
    gateway, upstream = held
    database = gateway.services().database
    upstream.events = [chunk({"role": "assistant", "content": ""}), chunk({"content": "Noted."}), chunk({}, "stop")]
    upstream.hold = threading.Event()
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}", "X-Customer-Id": CUSTOMER_ID,
               "X-Conversation-Id": CONVERSATION_ID}
    body = {"model": "demo-chat", "stream": True, "messages": [{"role": "user", "content": MESSAGE}]}
    try:
        with httpx.stream("POST", gateway.base_url + "/chat/completions", json=body, headers=headers,
                          timeout=30) as response:
            assert response.status_code == 200
            decision_id = response.headers["x-decision-id"]
            lines = response.iter_lines()
            assert next(line for line in lines if line.startswith("data: "))
            # Open: the upstream holds its [DONE]. The id is journalled, the record not yet chained.
            assert decision_id in journal(database)
            assert decision_id not in {r["decision_id"] for r in decisions(database)}
            with database.connect() as connection:
                row = connection.execute(text("SELECT record FROM open_streams WHERE decision_id = :id"),
                                         {"id": decision_id}).scalar_one()
            row = row if isinstance(row, dict) else json.loads(row)
            assert (row["status_code"], row["stage"], row["error_code"]) == (200, "answer", INTERRUPTED)
            assert row["route"]["deployment"] and row["route"]["attempts"][-1]["outcome"] == "ok"
            assert row["findings"] and row["timings"]["client_total"] is None
            found = [hit for where, value in database_texts(database) for hit in hits(where, value)]
            assert found == []
            upstream.hold.set()
            rest = list(lines)
    finally:
        upstream.hold.set()
        upstream.hold, upstream.events = None, []
    assert "data: [DONE]" in rest
    assert decision_id not in journal(database)
    mine = [r for r in decisions(database) if r["decision_id"] == decision_id]
    assert [(r["stage"], r["error_code"]) for r in mine] == [("completed", None)]
