"""Stored audits on SQLite and PostgreSQL: the queue's claim is won once, a stale runner's
audit is failed (and its late result discarded), reports are checked against their sha256,
pages run newest first; schedule firings are claimed exactly once by racing schedulers, by
direct calls and through APScheduler itself."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from audits.config import AuditConfig
from audits.request import AuditSchedule
from audits.schedule import AuditScheduler, latest_fire_time
from audits.window import parse_moment, parse_window
from audits.errors import AuditUsageError
from gateway.store.audits import INTERRUPTED, AuditLog, AuditStore, NewFile, fire_key, sha256_hex

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=7), NOW)


def queued(store: AuditStore, **kwargs) -> str:  # type: ignore[no-untyped-def]
    return store.create(requested_by="officer", trigger=kwargs.pop("trigger", "manual"), since=WINDOW[0],
                        until=WINDOW[1], parameters={"attributes": None, "reference": {}}, now=NOW, **kwargs)


def test_an_audit_goes_queued_running_done_with_its_files_and_hash(database) -> None:  # type: ignore[no-untyped-def]
    store, log = AuditStore(database), AuditLog(database)
    audit_id = queued(store)
    assert log.get(audit_id).status == "queued"
    claimed = store.claim_next(owner="proc_a", now=NOW)
    assert claimed is not None and claimed.id == audit_id and claimed.since == WINDOW[0]
    assert store.claim_next(owner="proc_b", now=NOW) is None  # nothing else queued
    report = '{"records": 3, "note": "中文 ✓"}\n'
    files = [NewFile("json", "application/json", f"govgate-{audit_id}.json", report.encode()),
             NewFile("pdf", "application/pdf", f"govgate-{audit_id}.pdf", b"%PDF-1.7\x00\xff")]
    summary = {"confirmed": 1, "warning": 0, "ok": 2, "insufficient_data": 0, "excluded": 0}
    assert not store.finish(audit_id, owner="proc_b", report_text=report, records=3, summary=summary, files=files,
                            webhook_state="none", now=NOW)  # not its audit
    assert store.finish(audit_id, owner="proc_a", report_text=report, records=3, summary=summary, files=files,
                        webhook_state="pending", now=NOW + timedelta(minutes=1))
    stored = log.get(audit_id)
    assert stored.status == "done" and stored.report_text == report and stored.report_verified
    assert stored.report_sha256 == sha256_hex(report.encode()) and stored.summary == summary
    assert stored.finished_at == NOW + timedelta(minutes=1) and stored.webhook_state == "pending"
    assert [(f.format, f.size) for f in stored.files] == [("json", len(report.encode())), ("pdf", 10)]
    pdf = log.file(audit_id, "pdf")
    assert pdf.content == b"%PDF-1.7\x00\xff" and pdf.sha256 == sha256_hex(pdf.content)
    assert log.file(audit_id, "html") is None and log.get("aud_" + "0" * 32) is None


def test_an_edited_report_no_longer_verifies(database) -> None:  # type: ignore[no-untyped-def]
    store, log = AuditStore(database), AuditLog(database)
    audit_id = queued(store)
    store.claim_next(owner="proc_a", now=NOW)
    store.finish(audit_id, owner="proc_a", report_text='{"records": 3}', records=3, summary={}, files=[],
                 webhook_state="none", now=NOW)
    with database.begin() as connection:
        connection.execute(text("UPDATE audits SET report = :r WHERE id = :id"), {"r": '{"records": 0}', "id": audit_id})
    assert log.get(audit_id).report_verified is False


def test_racing_runners_claim_each_audit_once(database) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore(database)
    made = {queued(store) for _ in range(12)}
    claims: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def runner(owner: str) -> None:
        start.wait()
        while (claimed := store.claim_next(owner=owner, now=NOW)) is not None:
            claims.setdefault(claimed.id, []).append(owner)

    threads = [threading.Thread(target=runner, args=(f"proc_{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(claims) == made and all(len(owners) == 1 for owners in claims.values())


def test_a_stale_runner_is_failed_and_its_late_result_discarded(database) -> None:  # type: ignore[no-untyped-def]
    store, log = AuditStore(database), AuditLog(database)
    stale, fresh = queued(store), queued(store)
    store.claim_next(owner="proc_dead", now=NOW)
    store.claim_next(owner="proc_live", now=NOW)
    assert store.heartbeat(fresh, owner="proc_live", now=NOW + timedelta(minutes=9))
    assert store.fail_stale(heartbeat_before=NOW + timedelta(minutes=5), now=NOW + timedelta(minutes=10)) == 1
    assert log.get(stale).status == "failed" and log.get(stale).error == INTERRUPTED
    assert log.get(fresh).status == "running"
    assert not store.heartbeat(stale, owner="proc_dead", now=NOW)
    assert not store.finish(stale, owner="proc_dead", report_text="{}", records=0, summary={}, files=[],
                            webhook_state="none", now=NOW)
    assert log.get(stale).status == "failed" and log.get(stale).report_text is None


def test_pages_run_newest_first_with_filters(database) -> None:  # type: ignore[no-untyped-def]
    store, log = AuditStore(database), AuditLog(database)
    made = [queued(store, trigger="manual" if i % 2 else "schedule:weekly") for i in range(5)]
    first = log.page(limit=2)
    assert [a.id for a in first] == made[::-1][:2]
    rest = log.page(limit=10, before_seq=first[-1].seq)
    assert [a.id for a in first + rest] == made[::-1]
    assert [a.id for a in log.page(trigger="schedule:weekly")] == made[::-2]
    assert log.page(status="done") == []


# --- schedule firings ------------------------------------------------------------------------

WEEKLY = AuditSchedule(name="weekly", cron="0 6 * * 1", window="7d", attributes=["gender"],
                       reference={"gender": "male"})
FIRE = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)  # a Monday, 06:00


def schedulers(database, n: int, clock=lambda: FIRE + timedelta(seconds=3)) -> list[AuditScheduler]:  # type: ignore[no-untyped-def]
    return [AuditScheduler(schedules=[WEEKLY], store=AuditStore(database), config=AuditConfig(), owner=f"proc_{i}",
                           clock=clock) for i in range(n)]


def test_racing_schedulers_queue_one_audit_per_firing(database) -> None:  # type: ignore[no-untyped-def]
    racing = schedulers(database, 4)
    start = threading.Barrier(len(racing))
    won: list[str | None] = []

    def fire(scheduler: AuditScheduler) -> None:
        start.wait()
        won.append(scheduler.fire(WEEKLY, FIRE))

    threads = [threading.Thread(target=fire, args=(s,)) for s in racing]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    [audit_id] = [w for w in won if w is not None]
    assert len(won) == 4
    log = AuditLog(database)
    [audit] = log.page(trigger="schedule:weekly")
    assert audit.id == audit_id and audit.status == "queued" and audit.requested_by == "scheduler"
    assert (audit.since, audit.until) == (FIRE - timedelta(days=7), FIRE)
    assert audit.parameters["attributes"] == ["gender"] and audit.parameters["reference"] == {"gender": "male"}
    [firing] = log.firings("weekly")
    assert firing.audit_id == audit_id and firing.fire_key == "2026-11-16T06:00:00Z"
    # The next firing is another lease; the same one again (a restart's late job) is not.
    assert racing[0].fire(WEEKLY, FIRE + timedelta(days=7)) is not None
    assert racing[1].fire(WEEKLY, FIRE + timedelta(microseconds=300)) is None
    assert len(log.page(trigger="schedule:weekly")) == 2


def test_two_apscheduler_schedulers_on_one_database_run_a_firing_once(database) -> None:  # type: ignore[no-untyped-def]
    # Both clocks stand a few seconds after 06:00 on a Monday: each job names its firing by the
    # latest cron time, whichever scheduler runs first and however late.
    every_minute = AuditSchedule(name="minutely", cron="* * * * *", window="1h")
    clocks = [lambda: FIRE + timedelta(seconds=2), lambda: FIRE + timedelta(seconds=41)]
    running = [AuditScheduler(schedules=[every_minute], store=AuditStore(database), config=AuditConfig(),
                              owner=f"proc_{i}", clock=clock) for i, clock in enumerate(clocks)]
    for scheduler in running:
        scheduler.start()
    try:
        for scheduler in running:
            scheduler.run_soon("minutely")
        deadline = time.monotonic() + 30
        while not all(s.fired for s in running):
            assert time.monotonic() < deadline, "the schedulers did not fire"
            time.sleep(0.05)
    finally:
        for scheduler in running:
            scheduler.close()
    outcomes = [s.fired[0] for s in running]
    assert {(name, at) for name, at, _ in outcomes} == {("minutely", FIRE)}
    assert sorted(audit is None for _, _, audit in outcomes) == [False, True]
    assert len(AuditLog(database).page(trigger="schedule:minutely")) == 1


def test_the_latest_fire_time_is_the_cron_time_at_or_before_now() -> None:
    trigger = WEEKLY.trigger()
    week = timedelta(days=8)
    assert latest_fire_time(trigger, FIRE, lookback=week) == FIRE
    assert latest_fire_time(trigger, FIRE + timedelta(hours=5, microseconds=7), lookback=week) == FIRE
    assert latest_fire_time(trigger, FIRE - timedelta(seconds=1), lookback=week) == FIRE - timedelta(days=7)
    assert latest_fire_time(trigger, FIRE + timedelta(hours=1), lookback=timedelta(minutes=30)) is None
    assert fire_key(FIRE.astimezone(datetime.now().astimezone().tzinfo)) == "2026-11-16T06:00:00Z"


# --- windows as people write them --------------------------------------------------------------


@pytest.mark.parametrize("written, expected", [
    ("30d", NOW - timedelta(days=30)), ("12h", NOW - timedelta(hours=12)), ("2w", NOW - timedelta(weeks=2)),
    ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)), ("2026-11-01T08:00:00+08:00", datetime(2026, 11, 1, tzinfo=UTC)),
])
def test_times_and_durations(written: str, expected: datetime) -> None:
    assert parse_moment(written, "--since", now=NOW) == expected


@pytest.mark.parametrize("written", ["0d", "30", "d", "-3d", "3.5d", "١٢d", "²d", "30D", "30 d", "9999999d",
                                     "yesterday", "2026-13-01", "9999-12-31T23:59:59-14:00", "", "x" * 10_000,
                                     "2026-11-01\x00"])
def test_what_is_not_a_time_is_refused_naming_the_option(written: str) -> None:
    with pytest.raises(AuditUsageError) as refused:
        parse_moment(written, "--since", now=NOW)
    # Never repeated back (short inputs such as "d" occur in any message).
    assert str(refused.value).startswith("--since") and (len(written) < 4 or written not in str(refused.value))


def test_a_window_ends_after_it_starts() -> None:
    assert parse_window("7d", None, now=NOW) == (NOW - timedelta(days=7), NOW)
    assert parse_window("7d", "1d", now=NOW) == (NOW - timedelta(days=7), NOW - timedelta(days=1))
    with pytest.raises(AuditUsageError, match="until must come after since"):
        parse_window("1d", "7d", now=NOW)


@pytest.mark.parametrize("cron, first", [
    # cron(8)'s weekdays (APScheduler's own from_crontab would read 1 as Tuesday).
    ("0 6 * * 1", datetime(2026, 11, 16, 6, 0, tzinfo=UTC)), ("0 6 * * 0", datetime(2026, 11, 15, 6, 0, tzinfo=UTC)),
    ("0 6 * * 7", datetime(2026, 11, 15, 6, 0, tzinfo=UTC)), ("0 6 * * 5-7", datetime(2026, 11, 13, 6, 0, tzinfo=UTC)),
    ("30 2 * * mon-fri", datetime(2026, 11, 12, 2, 30, tzinfo=UTC)), ("0 0 1 * *", datetime(2026, 12, 1, tzinfo=UTC)),
    ("*/15 * * * *", datetime(2026, 11, 12, 0, 15, tzinfo=UTC)),
])
def test_cron_expressions_mean_what_cron_means(cron: str, first: datetime) -> None:
    thursday = datetime(2026, 11, 12, 0, 0, 1, tzinfo=UTC)
    schedule = AuditSchedule(name="s", cron=cron, window="1d")
    assert schedule.trigger().get_next_fire_time(None, thursday) == first


@pytest.mark.parametrize("cron", ["0 6 * * 8", "0 6 1 * 1", "0 6 * *", "0 6 * * 5-1", "61 * * * *", "0 6 * * ١"])
def test_a_cron_expression_cron_would_not_take_is_refused(cron: str) -> None:
    with pytest.raises(ValueError, match="cron must be five crontab fields"):
        AuditSchedule(name="s", cron=cron, window="1d")
