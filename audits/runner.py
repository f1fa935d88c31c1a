"""Running stored audits: one worker thread per process, one audit at a time.

    queued row (POST /v1/audits, a schedule's firing)
      → claimed by one runner (AuditStore.claim_next: exactly one process wins)
      → run_audit in this thread, heartbeat beside it
      → write_report (audits/output.py) into a temporary folder → the files into the database
      → done (report, sha256, counts) | failed (our message, never a foreign exception's)
      → confirmed findings: the webhook notifier's queue (its own thread)

The thread wakes when this process queues an audit (`wake`) and every `poll_s` otherwise, so
audits queued by another process (a replica, the scheduler process) are run too. A queued
audit survives a restart (any runner picks it up); a running one whose process died is failed
as interrupted once its heartbeat is `stale_after_s` old (a crash is not retried blindly: the
same input would crash again). The statistics load on the first audit, not at startup.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from audits.config import AuditConfig
from audits.errors import AuditError
from audits.output import write_report
from audits.report import AuditReport
from audits.webhook import WebhookNotifier, confirmed_payload
from gateway.errors import describe_fault
from gateway.store.audits import AuditLog, AuditsUnavailable, AuditStore, ClaimedAudit, NewFile
from gateway.store.decision_log import DecisionLog

log = logging.getLogger(__name__)

STATUSES = ("confirmed", "warning", "ok", "insufficient_data", "excluded")
MEDIA_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}
DEFAULT_POLL_S = 30.0
DEFAULT_HEARTBEAT_S = 15.0
DEFAULT_STALE_AFTER_S = 300.0


def new_owner() -> str:
    """This process's name as an audit's runner (random per start)."""
    return "proc_" + secrets.token_hex(8)


def summary_of(report: AuditReport) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for finding in report.findings:
        counts[finding.status] += 1
    return counts


@dataclass(frozen=True)
class RunResult:
    audit_id: str
    status: str  # done | failed | lost (no longer this runner's: failed as interrupted meanwhile)
    report: AuditReport | None
    files: dict[str, Path]
    error: str | None = None


class AuditRunner:
    def __init__(self, *, store: AuditStore, audits: AuditLog, decision_log: DecisionLog, config: AuditConfig,
                 owner: str | None = None, notifier: WebhookNotifier | None = None, poll_s: float = DEFAULT_POLL_S,
                 heartbeat_s: float = DEFAULT_HEARTBEAT_S, stale_after_s: float = DEFAULT_STALE_AFTER_S,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if not 0 < heartbeat_s < stale_after_s / 2:
            raise ValueError("the heartbeat must beat at least twice within stale_after_s")
        self.store, self.audits, self.decision_log, self.config = store, audits, decision_log, config
        self.owner = owner or new_owner()
        self.notifier = notifier
        self.poll_s, self.heartbeat_s, self.stale_after_s = poll_s, heartbeat_s, stale_after_s
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: str | None = None

    # --- the worker thread ---------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="audit-runner", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for queued audits now (returns at once; safe from the event loop)."""
        self._wake.set()

    def close(self, grace_s: float = 5.0) -> None:
        """Stop taking audits. One still running after `grace_s` is failed as interrupted (its
        thread may finish later: its result is then discarded, the row no longer being its own)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(grace_s)
        current = self._current
        if current is not None:
            try:
                self.store.fail(current, owner=self.owner, error="interrupted: the process stopped while the audit "
                                "ran; ask for it again", now=self._clock())
            except AuditsUnavailable:
                log.error("audit %s could not be marked interrupted (database unavailable)", current)

    def _work(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self._sweep()
                while not self._stopping.is_set() and (claimed := self.store.claim_next(
                        owner=self.owner, now=self._clock())) is not None:
                    self.run_claimed(claimed)
            except AuditsUnavailable:
                log.error("audit runner: the database is unavailable; retrying in %.0f s", self.poll_s)
            except Exception as exc:  # noqa: BLE001 - the worker must outlive one bad audit
                log.error("audit runner: %s", describe_fault(exc))
            self._wake.wait(self.poll_s)

    def _sweep(self) -> None:
        now = self._clock()
        if failed := self.store.fail_stale(heartbeat_before=now - timedelta(seconds=self.stale_after_s), now=now):
            log.warning("%d audits were running in a process that stopped: marked failed (interrupted)", failed)

    # --- one audit -----------------------------------------------------------------------

    def run_claimed(self, claimed: ClaimedAudit, *, out: Path | None = None, lang: str = "en",
                    previous: AuditReport | None = None) -> RunResult:
        """Run an audit this runner claimed (blocking); its files go to `out` too when given.
        `lang`: the HTML/PDF's language; `previous`: the report to trend against (else the
        previous stored audit of the same trigger)."""
        self._current = claimed.id
        beating = threading.Event()
        heart = threading.Thread(target=self._beat, args=(claimed.id, beating), name="audit-heartbeat", daemon=True)
        heart.start()
        try:
            return self._run(claimed, out, lang, previous)
        finally:
            beating.set()
            self._current = None

    def _beat(self, audit_id: str, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_s):
            try:
                self.store.heartbeat(audit_id, owner=self.owner, now=self._clock())
            except AuditsUnavailable:
                log.error("audit %s: heartbeat not recorded (database unavailable)", audit_id)

    def _run(self, claimed: ClaimedAudit, out: Path | None, lang: str, previous: AuditReport | None) -> RunResult:
        parameters = claimed.parameters
        try:
            # The configuration it was queued with (a replica's may differ), else this runner's.
            config = AuditConfig.model_validate(parameters["config"]) if "config" in parameters else self.config
        except ValidationError:
            return self._fail(claimed, "the audit's stored configuration does not validate (written by another "
                                       "version?); ask for it again")
        try:
            from audits.run import run_audit  # the statistics load with the first audit

            report = run_audit(self.decision_log, claimed.since, claimed.until, attributes=parameters.get("attributes"),
                               reference=parameters.get("reference") or None, config=config)
            if out is not None:
                return self._store(claimed, report, out, lang, previous)
            with tempfile.TemporaryDirectory(prefix="govgate-audit-") as folder:
                return self._store(claimed, report, Path(folder), lang, previous)
        except AuditError as refused:
            # Our own message: it names attributes and groups, which have the shape of stored
            # identifiers (audits/request.py) and were screened for PII when asked for.
            return self._fail(claimed, f"the audit cannot run as asked: {refused}")
        except AuditsUnavailable:
            log.error("audit %s: the database became unavailable", claimed.id)
            return self._fail(claimed, "the database became unavailable while the audit ran; ask for it again")
        except Exception as exc:  # noqa: BLE001 - recorded as failed, logged where it happened
            log.error("audit %s failed: %s", claimed.id, describe_fault(exc))
            return self._fail(claimed, f"internal error while running the audit ({type(exc).__name__}); "
                                       "the gateway's log says where")

    def _store(self, claimed: ClaimedAudit, report: AuditReport, folder: Path, lang: str,
               previous: AuditReport | None) -> RunResult:
        written = write_report(report, folder, previous=previous or self._previous(claimed), lang=lang)
        files = [NewFile(format=fmt, media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
                         filename=f"govgate-{claimed.id}{path.suffix}", content=path.read_bytes())
                 for fmt, path in sorted(written.items())]
        report_text = written["json"].read_text(encoding="utf-8")
        summary = summary_of(report)
        notify = self.notifier is not None and summary["confirmed"] > 0
        done = self.store.finish(claimed.id, owner=self.owner, report_text=report_text, records=report.records,
                                 summary=summary, files=files, webhook_state="pending" if notify else "none",
                                 now=self._clock())
        if not done:
            log.warning("audit %s finished after it was marked interrupted: its result is discarded", claimed.id)
            return RunResult(claimed.id, "lost", report, written, "interrupted")
        if notify:
            assert self.notifier is not None
            self.notifier.submit(claimed.id, confirmed_payload(audit_id=claimed.id, trigger=claimed.trigger,
                                                               report=report, formats=sorted(written)))
        return RunResult(claimed.id, "done", report, written)

    def _previous(self, claimed: ClaimedAudit) -> AuditReport | None:
        text = self.audits.previous_report(trigger=claimed.trigger, before_seq=claimed.seq)
        if text is None:
            return None
        try:
            return AuditReport.model_validate_json(text)
        except ValidationError:
            return None  # written by an older schema: no trend rather than no report

    def _fail(self, claimed: ClaimedAudit, error: str) -> RunResult:
        try:
            self.store.fail(claimed.id, owner=self.owner, error=error, now=self._clock())
        except AuditsUnavailable:
            log.error("audit %s: its failure could not be recorded (database unavailable)", claimed.id)
        return RunResult(claimed.id, "failed", None, {}, error)


def run_parameters(attributes: list[str] | None, reference: dict[str, str] | None,
                   config: AuditConfig) -> dict[str, Any]:
    """What an audit row keeps of how it was asked for: enough to run it again the same way."""
    return {"attributes": attributes, "reference": dict(reference or {}), "config": config.model_dump(mode="json")}
