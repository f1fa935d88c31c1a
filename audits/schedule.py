"""Audits on a schedule: APScheduler cron triggers (UTC) that queue an audit per firing.

    firing of schedule S at time T (the cron time, not the moment the job ran)
      → AuditStore.claim_firing(S, T): insert the firing row (its key is (S, T)) and a queued
        audit of [T - window, T), in one transaction
      → the insert won: wake this process's runner; it lost (another replica claimed the
        firing first): nothing, and the audit runs once

T is the latest cron time at or before the moment the job runs, to the second, so every
scheduler on the database names a firing alike however late its job started. Jobs coalesce
(a scheduler that slept through several firings runs the latest once) and are dropped after
`misfire_grace_s`. The scheduler runs inside the gateway (GOVGATE_AUDIT_SCHEDULE_IN_GATEWAY)
or as its own process (`govgate audit schedule`); both at once are safe (the lease).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from audits.config import AuditConfig
from audits.request import AuditSchedule
from audits.runner import run_parameters
from audits.window import parse_duration
from gateway.errors import describe_fault
from gateway.store.audits import AuditsUnavailable, AuditStore

log = logging.getLogger(__name__)

DEFAULT_MISFIRE_GRACE_S = 3600


def latest_fire_time(trigger: Any, now: datetime, *, lookback: timedelta) -> datetime | None:
    """The trigger's latest fire time in (now - lookback, now], to the second; None: none."""
    now = now.astimezone(UTC).replace(microsecond=0)
    latest, candidate = None, trigger.get_next_fire_time(None, now - lookback)
    while candidate is not None and candidate <= now:
        latest = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
    return None if latest is None else latest.astimezone(UTC)


class AuditScheduler:
    def __init__(self, *, schedules: list[AuditSchedule], store: AuditStore, config: AuditConfig, owner: str,
                 on_queued: Callable[[str], None] = lambda _audit_id: None,
                 misfire_grace_s: int = DEFAULT_MISFIRE_GRACE_S,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.schedules = list(schedules)
        self.store, self.config, self.owner = store, config, owner
        self.on_queued, self.misfire_grace_s, self._clock = on_queued, misfire_grace_s, clock
        self._scheduler: Any = None
        self._lock = threading.Lock()
        # (schedule, fire time, the audit it queued or None when another claimed it), newest last.
        self.fired: list[tuple[str, datetime, str | None]] = []

    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=UTC)
        for schedule in self.schedules:
            scheduler.add_job(self._run_job, trigger=schedule.trigger(), args=[schedule], id=schedule.name,
                              name=f"audit schedule {schedule.name}", coalesce=True, max_instances=1,
                              misfire_grace_time=self.misfire_grace_s)
        scheduler.start()
        self._scheduler = scheduler
        log.info("audit schedules: %s", ", ".join(f"{s.name} ({s.cron}, window {s.window})" for s in self.schedules))

    def close(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def next_fire_times(self) -> dict[str, datetime | None]:
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def run_soon(self, name: str) -> None:
        """Have the schedule's job run now (as if its time had come; the firing is still named
        by its latest cron time): operators' and tests' way to fire without waiting."""
        # The real clock: APScheduler compares with its own (the firing is named by self._clock).
        self._scheduler.modify_job(name, next_run_time=datetime.now(UTC))

    def _run_job(self, schedule: AuditSchedule) -> None:
        fire_time = latest_fire_time(schedule.trigger(), self._clock(),
                                     lookback=timedelta(seconds=self.misfire_grace_s + 60))
        if fire_time is None:
            log.warning("audit schedule %s ran with no cron time in the last %d s: skipped", schedule.name,
                        self.misfire_grace_s)
            return
        try:
            self.fire(schedule, fire_time)
        except AuditsUnavailable:
            log.error("audit schedule %s: the firing at %s could not be claimed (database unavailable)",
                      schedule.name, fire_time.isoformat())
        except Exception as exc:  # noqa: BLE001 - a scheduler thread must not die with one firing
            log.error("audit schedule %s: %s", schedule.name, describe_fault(exc))

    def fire(self, schedule: AuditSchedule, fire_time: datetime) -> str | None:
        """Claim this firing and queue its audit; the audit id, or None when another scheduler had it."""
        until = fire_time.astimezone(UTC).replace(microsecond=0)
        since = until - parse_duration(schedule.window, "window")
        audit_id = self.store.claim_firing(
            schedule=schedule.name, fire_time=until, owner=self.owner, since=since, until=until,
            parameters=run_parameters(schedule.attributes, schedule.reference, self.config), now=self._clock())
        with self._lock:
            self.fired.append((schedule.name, until, audit_id))
        if audit_id is not None:
            log.info("audit schedule %s: firing %s queued %s", schedule.name, until.isoformat(), audit_id)
            self.on_queued(audit_id)
        return audit_id
