"""The audit service of one process, wired from the settings: the store and its reader, the
runner (worker thread), the scheduler and the webhook notifier, each present only when the
settings ask for it. The gateway opens one in `open_services`; `govgate audit schedule`
opens one as its own process. Nothing starts until `start()`; `close()` stops it all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from audits.config import AuditConfig
from audits.runner import AuditRunner, new_owner
from audits.schedule import AuditScheduler
from audits.webhook import WebhookNotifier
from gateway.config import Settings
from gateway.store.audits import AuditLog, AuditStore
from gateway.store.decision_log import DecisionLog

if TYPE_CHECKING:
    from sqlalchemy import Engine


class AuditSettingsError(ValueError):
    """The audit settings cannot be used (the message names the setting)."""


def audit_config(settings: Settings) -> AuditConfig:
    try:
        return AuditConfig.model_validate(settings.audit_config)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "its fields"
        raise AuditSettingsError(f"GOVGATE_AUDIT_CONFIG: {where}: {first['msg']}") from None


@dataclass
class AuditService:
    store: AuditStore
    audits: AuditLog
    config: AuditConfig
    owner: str
    runner: AuditRunner | None = None
    scheduler: AuditScheduler | None = None
    notifier: WebhookNotifier | None = None

    def start(self) -> None:
        for part in (self.notifier, self.runner, self.scheduler):
            if part is not None:
                part.start()

    def queued(self, _audit_id: str) -> None:
        """An audit was queued in this process: run it now if this process runs audits."""
        if self.runner is not None:
            self.runner.wake()

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()
        if self.runner is not None:
            self.runner.close()
        if self.notifier is not None:
            self.notifier.close()


def open_audit_service(settings: Settings, database: "Engine", decision_log: DecisionLog, *, run: bool,
                       schedule: bool) -> AuditService:
    """`run`: this process runs queued audits; `schedule`: it fires the configured schedules."""
    config = audit_config(settings)
    store, owner = AuditStore(database), new_owner()
    notifier = None
    if run and settings.audit_webhook_url and settings.audit_webhook_secret is not None:
        notifier = WebhookNotifier(url=settings.audit_webhook_url,
                                   secret=settings.audit_webhook_secret.get_secret_value().encode("utf-8"),
                                   store=store, attempts=settings.audit_webhook_attempts,
                                   backoff_s=settings.audit_webhook_backoff_s,
                                   max_backoff_s=max(settings.audit_webhook_backoff_s,
                                                     settings.audit_webhook_max_backoff_s),
                                   timeout_s=settings.audit_webhook_timeout_s)
    service = AuditService(store=store, audits=AuditLog(database), config=config, owner=owner, notifier=notifier)
    if run:
        service.runner = AuditRunner(store=store, audits=service.audits, decision_log=decision_log, config=config,
                                     owner=owner, notifier=notifier, poll_s=settings.audit_poll_s,
                                     heartbeat_s=settings.audit_heartbeat_s,
                                     stale_after_s=settings.audit_stale_after_s)
    if schedule and settings.audit_schedules:
        service.scheduler = AuditScheduler(schedules=settings.audit_schedules, store=store, config=config,
                                           owner=owner, on_queued=service.queued)
    return service
