"""The audit runner on SQLite and PostgreSQL: a queued audit survives its process (the next
runner runs it), a running one whose process died is failed as interrupted, and stopping a
runner mid-audit leaves it failed, its late result discarded."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from audits.config import AuditConfig
from audits.runner import AuditRunner
from gateway.store.audits import INTERRUPTED, AuditLog, AuditStore
from gateway.store.decision_log import DecisionLog
from tests.audits.synthetic import SINCE, UNTIL, Population, records, write

FAST = AuditConfig(bootstrap_resamples=199, shap_sample=800, shap_max_iter=20, intersections=(),
                   metrics=("ttft_p50", "latency_p50"))


def runner(database, **kwargs) -> AuditRunner:  # type: ignore[no-untyped-def]
    kwargs.setdefault("decision_log", DecisionLog(database))
    return AuditRunner(store=AuditStore(database), audits=AuditLog(database), config=FAST, poll_s=3600,
                       heartbeat_s=0.05, stale_after_s=600, **kwargs)


def wait_until(check, timeout_s: float = 120):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def test_a_queued_audit_survives_its_process_and_a_dead_runners_audit_is_failed(database) -> None:  # type: ignore[no-untyped-def]
    write(database, records(Population(n=300), seed=3))
    store, log = AuditStore(database), AuditLog(database)
    now = datetime.now(UTC)
    # Queued by a process that then stopped, and running in one that died an hour ago.
    left = store.create(requested_by="officer", trigger="manual", since=SINCE, until=UNTIL, parameters={}, now=now)
    dead = store.create(requested_by="officer", trigger="manual", since=SINCE, until=UNTIL, parameters={},
                        now=now - timedelta(hours=1), owner="proc_dead")
    fresh = runner(database)
    fresh.start()  # a new process: its first look runs what was left, fails what died
    try:
        audit = wait_until(lambda: (a := log.get(left)).status in ("done", "failed") and a)
    finally:
        fresh.close()
    assert audit.status == "done" and audit.records == 300 and audit.report_verified
    assert [f.format for f in audit.files] and audit.summary is not None
    assert log.get(dead).status == "failed" and log.get(dead).error == INTERRUPTED


class BlockingLog(DecisionLog):
    """A decision log whose reads wait until released: an audit that is still running."""

    def __init__(self, engine, started: threading.Event, release: threading.Event) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine)
        self.started, self.release = started, release

    def batches(self, **kwargs):  # type: ignore[no-untyped-def, override]
        self.started.set()
        self.release.wait(60)
        return super().batches(**kwargs)


def test_a_runner_stopped_mid_audit_leaves_it_interrupted(database) -> None:  # type: ignore[no-untyped-def]
    started, release = threading.Event(), threading.Event()
    store, log = AuditStore(database), AuditLog(database)
    stopping = runner(database, decision_log=BlockingLog(database, started, release))
    now = datetime.now(UTC)
    audit_id = store.create(requested_by="officer", trigger="manual", since=SINCE, until=UNTIL, parameters={},
                            now=now)
    stopping.start()
    assert started.wait(60)
    wait_until(lambda: log.get(audit_id).status == "running")
    stopping.close(grace_s=0.1)
    assert log.get(audit_id).status == "failed" and "interrupted" in log.get(audit_id).error
    release.set()  # the audit finishes after all: its result no longer belongs anywhere
    wait_until(lambda: stopping._current is None)
    assert log.get(audit_id).status == "failed" and log.get(audit_id).report_text is None
