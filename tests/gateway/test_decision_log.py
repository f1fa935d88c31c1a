"""The decision log, the one reader, on SQLite and PostgreSQL: windows, filters, paging, bounded
streaming, columns, outcomes joined, and both chains' verification (edits, deletions,
insertions, reordering)."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text, update

from gateway.decision import DecisionRecord
from gateway.outcome import OutcomeRecord
from gateway.store.decision_log import DecisionFilter, DecisionLog
from gateway.store.ledger import DecisionLedger
from gateway.store.models import DecisionRow
from gateway.store.outcomes import OutcomeStore
from tests.conftest import write

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CALLERS = ("billing-bot", "support-bot", "sales-bot")
REGIONS = ("EU", "US", "CN")


def _record(i: int, *, created_at: datetime | None = None) -> DecisionRecord:
    return DecisionRecord(
        decision_id=f"dec_{i:032x}", created_at=created_at or T0 + timedelta(minutes=i), kind=("chat", "pii")[i % 2],
        caller=CALLERS[i % 3], purpose="customer-support" if i % 4 else "marketing", customer_region=REGIONS[i % 3],
        conversation_id=f"conv-digest-{i // 5}", status_code=200 if i % 5 else 403, allowed=bool(i % 5))




def ids(records) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.decision_id for r in records]


@pytest.fixture
def thirty(database) -> list[DecisionRecord]:  # type: ignore[no-untyped-def]
    return write(database, [_record(i) for i in range(30)])


def test_a_window_streams_matching_records_in_seq_order(database, thirty) -> None:  # type: ignore[no-untyped-def]
    log = DecisionLog(database, page_size=4)
    assert ids(log.window()) == ids(thirty)
    assert [r.seq for r in log.window()] == list(range(1, 31))
    by_caller = [r for r in thirty if r.caller == "support-bot"]
    assert ids(log.window(where=DecisionFilter(caller="support-bot"))) == ids(by_caller)
    combined = [r for r in thirty if r.customer_region == "EU" and r.kind == "chat" and not r.allowed]
    assert combined and ids(log.window(where=DecisionFilter(region="EU", kind="chat", allowed=False))) == ids(combined)
    assert ids(log.window(where=DecisionFilter(status_code=403))) == ids(r for r in thirty if r.status_code == 403)
    marketing = [r for r in thirty if r.purpose == "marketing"]
    assert ids(log.window(where=DecisionFilter(purpose="marketing"))) == ids(marketing)
    assert ids(log.window(where=DecisionFilter(conversation_id="conv-digest-2"))) == ids(thirty[10:15])
    assert list(log.window(where=DecisionFilter(caller="nobody"))) == []


def test_a_window_is_half_open_in_time_and_converts_zones(database, thirty) -> None:  # type: ignore[no-untyped-def]
    log = DecisionLog(database, page_size=7)
    assert ids(log.window(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=20))) == ids(thirty[10:20])
    # The same bounds written in UTC+8 and as naive UTC select the same records.
    plus8 = T0.astimezone(timezone(timedelta(hours=8)))
    in_plus8 = log.window(since=plus8 + timedelta(minutes=10), until=plus8 + timedelta(minutes=20))
    assert ids(in_plus8) == ids(thirty[10:20])
    naive = T0.replace(tzinfo=None)
    assert ids(log.window(since=naive + timedelta(minutes=25))) == ids(thirty[25:])


def test_a_window_ends_at_the_head_as_it_stood_when_opened(database, thirty) -> None:  # type: ignore[no-untyped-def]
    log = DecisionLog(database, page_size=5)
    opened = log.window()
    write(database, [_record(i) for i in range(30, 35)])
    assert ids(opened) == ids(thirty)
    assert len(list(log.window())) == 35


def test_pages_go_newest_first_and_before_seq_walks_every_record_once(database, thirty) -> None:  # type: ignore[no-untyped-def]
    log = DecisionLog(database)
    seen, before = [], None
    while page := log.page(where=DecisionFilter(caller="billing-bot"), limit=3, before_seq=before):
        seen += page
        before = page[-1].seq
    assert [r.seq for r in seen] == sorted((r.seq for r in thirty if r.caller == "billing-bot"), reverse=True)
    assert ids(log.page(since=T0 + timedelta(minutes=28))) == ids(reversed(thirty[28:]))


def test_five_thousand_records_stream_a_page_at_a_time(database) -> None:  # type: ignore[no-untyped-def]
    write_many = [_record(i) for i in range(5000)]

    async def run() -> None:  # concurrently: the ledger's group commit makes this quick
        ledger = DecisionLedger(database, batch_max=500)
        await ledger.start()
        try:
            await asyncio.gather(*(ledger.record(r) for r in write_many))
        finally:
            await ledger.close()

    asyncio.run(run())
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "FROM decisions" in statement and "ORDER BY decisions.seq" in statement:
            statements.append((statement, parameters))

    event.listen(database, "before_cursor_execute", seen)
    try:
        window = DecisionLog(database, page_size=100).window()
        first = next(window)
        assert first.seq == 1 and len(statements) == 1  # lazy: one page read, not the whole window
        count = 1 + sum(1 for _ in window)
    finally:
        event.remove(database, "before_cursor_execute", seen)
    assert count == 5000
    # 50 full pages and the empty read that ends it; never more than a page asked for at once.
    assert len(statements) == 51
    for statement, parameters in statements:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert "LIMIT" in statement and 100 in values


def test_batches_are_column_dicts_and_a_typo_fails_at_once(database, thirty) -> None:  # type: ignore[no-untyped-def]
    log = DecisionLog(database, page_size=8)
    batches = list(log.batches(columns=("seq", "caller", "customer_region", "timings.total", "created_at"), size=12))
    assert [len(b["seq"]) for b in batches] == [12, 12, 6]
    assert sum((b["caller"] for b in batches), []) == [r.caller for r in thirty]
    assert isinstance(batches[0]["created_at"][0], datetime) and batches[0]["customer_region"][:3] == ["EU", "US", "CN"]
    default = next(log.batches(size=100))
    assert len(default["decision_id"]) == 30 and "policy.bundle_hash" in default
    with pytest.raises(ValueError, match="timings.totl"):
        log.batches(columns=("timings.totl",))  # raised when asked, before a row is read
    with pytest.raises(ValueError):
        log.batches(columns=("caller.name",))
    assert next(log.batches(columns=("customer_attributes.gender",)))["customer_attributes.gender"][0] is None


def _outcome(key: str, *, decision_id: str | None = None, conversation_id: str | None = None,
             subject: str | None = None, outcome: str = "resolved", csat: int | None = None,
             at: datetime = T0 + timedelta(hours=2)) -> OutcomeRecord:
    return OutcomeRecord(outcome_key=key, reported_by=subject or "admin", decision_id=decision_id,
                         conversation_id=conversation_id, subject_caller=subject, outcome=outcome, csat=csat,
                         occurred_at=at, occurred_at_reported=True, recorded_at=at)


def test_outcomes_join_their_decisions_and_conversations(database, thirty) -> None:  # type: ignore[no-untyped-def]
    store = OutcomeStore(database)
    store.attach(_outcome("k1", decision_id=thirty[3].decision_id, subject=thirty[3].caller, outcome="escalated"))
    # Conversation 2 holds decisions 10-14 of three callers: a bot's outcome concerns its own.
    store.attach(_outcome("k2", conversation_id="conv-digest-2", subject="billing-bot", csat=4))
    store.attach(_outcome("k3", conversation_id="conv-digest-3", subject=None, outcome="abandoned"))  # an admin's
    log = DecisionLog(database, page_size=6)
    assert [o.outcome_key for o in log.outcomes_for(thirty[3].decision_id)] == ["k1"]
    billing_in_2 = [r for r in thirty[10:15] if r.caller == "billing-bot"]
    assert billing_in_2
    assert all([o.outcome_key for o in log.outcomes_for(r.decision_id)] == ["k2"] for r in billing_in_2)
    assert all(log.outcomes_for(r.decision_id) == [] for r in thirty[10:15] if r.caller != "billing-bot")
    assert all([o.outcome_key for o in log.outcomes_for(r.decision_id)] == ["k3"] for r in thirty[15:20])
    assert log.outcomes_for("dec_" + "f" * 32) == []
    joined = {record.decision_id: [o.outcome_key for o in outcomes] for record, outcomes in log.window_with_outcomes()}
    assert joined == {r.decision_id: [o.outcome_key for o in log.outcomes_for(r.decision_id)] for r in thirty}
    columns = next(log.batches(with_outcomes=True, size=100))
    assert columns["outcome"][3] == "escalated" and columns["outcome_count"][0] == 0
    assert columns["csat"][thirty.index(billing_in_2[0])] == 4 and columns["outcome"][15] == "abandoned"
    assert log.conversation_started("conv-digest-2") == thirty[10].created_at
    assert log.conversation_started("conv-digest-2", caller="sales-bot") == next(
        r.created_at for r in thirty[10:15] if r.caller == "sales-bot")
    assert log.conversation_started("conv-digest-99") is None


# --- verification -------------------------------------------------------------------------


def test_reordering_two_records_is_detected(database, thirty) -> None:  # type: ignore[no-untyped-def]
    with database.begin() as connection:
        for old, new in ((2, -2), (3, 2), (-2, 3)):
            connection.execute(text("UPDATE decisions SET seq = :new WHERE seq = :old"), {"old": old, "new": new})
    check = DecisionLog(database).verify_decisions()
    assert not check.ok and check.first_bad_seq == 2 and check.checked == 1 and "moved" in check.problem


def test_a_record_inserted_past_the_head_is_detected_even_with_a_good_hash(database) -> None:  # type: ignore[no-untyped-def]
    write(database, [_record(i) for i in range(3)])
    # Forge a fourth record exactly as the ledger would chain it, but leave the head alone.
    write(database, [_record(3)])
    with database.begin() as connection:
        connection.execute(text("UPDATE chain_head SET seq = 3, record_hash = "
                                "(SELECT record_hash FROM decisions WHERE seq = 3) WHERE id = 1"))
    check = DecisionLog(database).verify_decisions()
    assert not check.ok and check.first_bad_seq == 4 and "past the chain head" in check.problem
    assert check.first_bad_id == _record(3).decision_id


def test_a_created_at_column_edited_apart_from_the_record_is_detected(database, thirty) -> None:  # type: ignore[no-untyped-def]
    # Windows select on the column: moving a record out of its window must not go unseen.
    decisions = DecisionRow.__table__
    with database.begin() as connection:
        connection.execute(update(decisions).where(decisions.c.seq == 7).values(created_at=T0 - timedelta(days=9)))
    check = DecisionLog(database).verify_decisions()
    assert not check.ok and check.first_bad_seq == 7 and "query columns" in check.problem


def test_verify_reads_a_page_at_a_time_and_passes_on_an_intact_ledger(database, thirty) -> None:  # type: ignore[no-untyped-def]
    check = DecisionLog(database, page_size=4).verify()
    assert check.ok and check.decisions.checked == 30 and check.outcomes.checked == 0


@pytest.fixture
def outcomes(database, thirty) -> list[OutcomeRecord]:  # type: ignore[no-untyped-def]
    store = OutcomeStore(database)
    return [store.attach(_outcome(f"key-{i}", decision_id=thirty[i].decision_id, subject=thirty[i].caller,
                                  csat=1 + i % 5)).record for i in range(5)]


def test_the_outcome_chain_verifies(database, outcomes) -> None:  # type: ignore[no-untyped-def]
    check = DecisionLog(database).verify()
    assert check.ok and check.outcomes.checked == 5
    assert [o.seq for o in outcomes] == [1, 2, 3, 4, 5] and outcomes[0].prev_hash == "0" * 64


def _tamper(database, statement: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    with database.begin() as connection:
        connection.execute(text(statement), params)


@pytest.mark.parametrize(("statement", "bad_seq", "named", "problem"), [
    ("UPDATE outcomes SET csat = 5 WHERE seq = 3", 3, "key-2", "query columns"),
    ("UPDATE outcomes SET outcome = 'refund_granted' WHERE seq = 2", 2, "key-1", "query columns"),
    ("DELETE FROM outcomes WHERE seq = 2", 3, "key-2", "missing"),
    ("DELETE FROM outcomes WHERE seq = 5", 5, None, "missing"),
])
def test_an_edited_or_deleted_outcome_is_named(database, outcomes, statement: str, bad_seq: int,  # type: ignore[no-untyped-def]
                                               named: str | None, problem: str) -> None:
    _tamper(database, statement)
    check = DecisionLog(database).verify()
    assert not check.ok and check.decisions.ok
    assert (check.outcomes.first_bad_seq, check.outcomes.first_bad_id) == (bad_seq, named)
    assert problem in check.outcomes.problem
    assert check.as_dict()["outcomes"]["outcome_key"] == named and check.as_dict()["ok"] is False


def test_an_outcome_edited_inside_its_json_is_detected(database, outcomes) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from gateway.store.models import OutcomeRow

    with Session(database) as session:
        row = session.exec(select(OutcomeRow).where(OutcomeRow.seq == 4)).one()
        row.record = {**row.record, "csat": 5 if row.record["csat"] != 5 else 1}
        session.add(row)
        session.commit()
    check = DecisionLog(database).verify_outcomes()
    assert not check.ok and check.first_bad_seq == 4 and check.first_bad_id == "key-3"
    assert "does not match its hash" in check.problem


def test_an_inserted_outcome_is_named(database, outcomes) -> None:  # type: ignore[no-untyped-def]
    _tamper(database, "INSERT INTO outcomes (seq, outcome_key, reported_by, outcome, occurred_at, recorded_at, record,"
                      " prev_hash, record_hash) VALUES (6, 'forged', 'x', 'resolved', :at, :at, '{}', 'p', 'h')",
            at=T0)
    check = DecisionLog(database).verify_outcomes()
    assert not check.ok and (check.first_bad_seq, check.first_bad_id) == (6, "forged")
    assert "past the chain head" in check.problem


# --- the writer only writes ------------------------------------------------------------------


def test_the_ledger_has_no_read_methods_left() -> None:
    public = {name for name, _ in inspect.getmembers(DecisionLedger, callable) if not name.startswith("_")}
    # The open-stream journal's writes (open_stream, abandon_stream) and the heartbeat (beat)
    # are writes too; nothing reads.
    assert public == {"start", "close", "record", "open_stream", "abandon_stream", "beat"}
