"""Telling someone an audit confirmed a disparity: a signed POST to GOVGATE_AUDIT_WEBHOOK_URL.

    POST <url>
    Content-Type: application/json
    X-GovGate-Event: audit.findings_confirmed
    X-GovGate-Audit-Id: aud_…
    X-GovGate-Delivery: <attempt number, from 1>
    X-GovGate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

The receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes with the
shared secret (GOVGATE_AUDIT_WEBHOOK_SECRET), compares in constant time, and refuses a
timestamp further than its replay window from its clock (`verify` below does all of it;
docs/operations.md has a standalone receiver). Each attempt is signed afresh, so a retry
after a long backoff still falls inside the window. The audit id is the idempotency key:
a receiver may see one notification more than once (at least once), never a different one.

Delivery runs on its own thread, never on a request's path nor the audit worker's: bounded
attempts with exponential backoff, retried on a network error, a timeout, 408, 425, 429 and
5xx; any other answer (a 4xx, a redirect, which is never followed) is final. Every attempt is
recorded (webhook_deliveries: attempt, status code or error type, time), never the URL, the
body or what the receiver said.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from audits.report import AuditReport
from gateway import __version__
from gateway.errors import describe_fault
from gateway.store.audits import AuditsUnavailable, AuditStore

log = logging.getLogger(__name__)

EVENT = "audit.findings_confirmed"
SIGNATURE_HEADER = "X-GovGate-Signature"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_S = 300
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_S = 2.0
DEFAULT_MAX_BACKOFF_S = 300.0
DEFAULT_TIMEOUT_S = 10.0
RETRIED_STATUSES = frozenset({408, 425, 429})


def signature(secret: bytes, body: bytes, timestamp: int) -> str:
    """The X-GovGate-Signature value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret, f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},{SIGNATURE_VERSION}={mac}"


def verify(secret: bytes, header: str | None, body: bytes, *, now: float,
           tolerance_s: float = DEFAULT_TOLERANCE_S) -> bool:
    """Whether `header` signs `body` with `secret`, at a time within `tolerance_s` of `now`."""
    if not header:
        return False
    timestamp, macs = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == SIGNATURE_VERSION:
            macs.append(value)
    if timestamp is None or not macs or abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, body, timestamp).rsplit("=", 1)[1]
    return any(hmac.compare_digest(expected, mac) for mac in macs)


def confirmed_payload(*, audit_id: str, trigger: str, report: AuditReport, formats: list[str]) -> dict[str, Any]:
    """The notification's body: the window and each confirmed finding (no record, no PII:
    groups are the attribute values the records carry), and where to read the report."""
    findings = [{"attribute": f.attribute, "group": f.group, "reference": f.reference, "metric": f.metric,
                 "direction": f.direction, "ratio": f.ratio, "ci": [f.ci_low, f.ci_high], "q": f.q, "n": f.n,
                 "reference_n": f.reference_n} for f in report.findings if f.status == "confirmed"]
    path = f"/v1/audits/{audit_id}"
    return {"event": EVENT, "audit_id": audit_id, "trigger": trigger,
            "window": {"since": _iso(report.since), "until": _iso(report.until)},
            "records": report.records, "confirmed": findings, "report_url": path,
            "files": {fmt: f"{path}/files/{fmt}" for fmt in formats}}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


class WebhookNotifier:
    """Delivers notifications on one thread, in the order submitted."""

    def __init__(self, *, url: str, secret: bytes, store: AuditStore, attempts: int = DEFAULT_ATTEMPTS,
                 backoff_s: float = DEFAULT_BACKOFF_S, max_backoff_s: float = DEFAULT_MAX_BACKOFF_S,
                 timeout_s: float = DEFAULT_TIMEOUT_S, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if attempts < 1 or backoff_s < 0 or max_backoff_s < backoff_s or timeout_s <= 0:
            raise ValueError("attempts >= 1, 0 <= backoff_s <= max_backoff_s and timeout_s > 0")
        if len(secret) < 16:
            raise ValueError("the webhook secret must be at least 16 bytes")
        self.url, self._secret, self._store = url, secret, store
        self.attempts, self.backoff_s, self.max_backoff_s = attempts, backoff_s, max_backoff_s
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, transport=transport,
                                    headers={"user-agent": f"GovGate/{__version__}"})
        self._clock = clock
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="audit-webhook", daemon=True)
        self._thread.start()

    def submit(self, audit_id: str, payload: dict[str, Any]) -> None:
        """Queue a notification (returns at once)."""
        self._queue.put((audit_id, payload))

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop: an attempt under way finishes, no further attempt starts (the audit's
        webhook_state stays "pending" for what was not delivered)."""
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._client.close()

    def _work(self) -> None:
        while not self._stopping.is_set():
            job = self._queue.get()
            if job is None:
                return
            try:
                self.deliver(*job)
            except Exception as exc:  # noqa: BLE001 - the thread must outlive one bad delivery
                log.error("webhook delivery failed: %s", describe_fault(exc))

    def deliver(self, audit_id: str, payload: dict[str, Any]) -> bool:
        """Every attempt until one is delivered or final; True when delivered (blocking)."""
        body = body_of(payload)
        for attempt in range(1, self.attempts + 1):
            status, error, retry = self._attempt(audit_id, attempt, body)
            delivered = status is not None and 200 <= status < 300
            self._record(audit_id, attempt, status, error, delivered)
            if delivered or not retry or attempt == self.attempts:
                self._state(audit_id, "delivered" if delivered else "failed")
                return delivered
            if self._stopping.wait(min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))):
                return False  # stopping: left pending
        return False

    def _attempt(self, audit_id: str, attempt: int, body: bytes) -> tuple[int | None, str | None, bool]:
        headers = {"content-type": "application/json", "x-govgate-event": EVENT, "x-govgate-audit-id": audit_id,
                   "x-govgate-delivery": str(attempt),
                   SIGNATURE_HEADER.lower(): signature(self._secret, body, int(self._clock()))}
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            # The type only: a transport's message can carry the URL (and a token in it).
            return None, type(exc).__name__, True
        code = response.status_code
        if 200 <= code < 300:
            return code, None, False
        retry = code >= 500 or code in RETRIED_STATUSES
        return code, f"the receiver answered {code}" + ("" if retry else " (not retried)"), retry

    def _record(self, audit_id: str, attempt: int, status: int | None, error: str | None, delivered: bool) -> None:
        try:
            self._store.record_delivery(audit_id, attempt=attempt, at=datetime.now(UTC), status_code=status,
                                        error=error, delivered=delivered)
        except AuditsUnavailable:
            log.error("webhook attempt %d of %s could not be recorded (database unavailable)", attempt, audit_id)

    def _state(self, audit_id: str, state: str) -> None:
        try:
            self._store.set_webhook_state(audit_id, state)  # type: ignore[arg-type]
        except AuditsUnavailable:
            log.error("the webhook state of %s could not be recorded (database unavailable)", audit_id)
