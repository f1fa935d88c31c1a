"""The audit webhook: its signature verifies (and nothing else does), deliveries to a real HTTP
receiver are retried with backoff when it fails, bounded, and every attempt is recorded."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.report import AuditReport, Finding
from audits.webhook import EVENT, WebhookNotifier, body_of, confirmed_payload, signature, verify
from gateway.store.audits import AuditLog, AuditStore
from tests.audits.receiver import receiver
from tests.net import free_port

SECRET = b"a-shared-secret-of-32-characters"
NOW = 1_795_000_000


@given(body=st.binary(max_size=2000), secret=st.binary(min_size=16, max_size=64),
       skew=st.integers(min_value=-300, max_value=300))
@settings(max_examples=200, deadline=None)
def test_a_signature_verifies_within_the_replay_window(body: bytes, secret: bytes, skew: int) -> None:
    header = signature(secret, body, NOW)
    assert verify(secret, header, body, now=NOW + skew)
    assert not verify(secret, header, body + b" ", now=NOW)
    assert not verify(secret + b"x", header, body, now=NOW)
    assert not verify(secret, header, body, now=NOW + 301) and not verify(secret, header, body, now=NOW - 301)


def test_the_signature_is_the_documented_hmac() -> None:
    body = b'{"audit_id":"aud_1"}'
    mac = hmac.new(SECRET, f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert signature(SECRET, body, NOW) == f"t={NOW},v1={mac}"


@pytest.mark.parametrize("header", [None, "", "t=,v1=", f"v1={'0' * 64}", f"t={NOW}", f"t={NOW},v0=abc",
                                    f"t=١٢,v1={'0' * 64}", f"t={NOW}{'9' * 20},v1=x", "garbage", "t=1,t=2,v1=,="])
def test_a_malformed_signature_header_does_not_verify(header: str | None) -> None:
    assert not verify(SECRET, header, b"{}", now=NOW)


def test_one_good_signature_among_several_verifies() -> None:
    good = signature(SECRET, b"{}", NOW)
    assert verify(SECRET, f"{good},v1={'0' * 64}", b"{}", now=NOW)
    assert verify(SECRET, f" {good.replace(',', ' , ')} ", b"{}", now=NOW)


def _finding(status: str, group: str) -> Finding:
    return Finding(attribute="gender", group=group, reference="male", metric="ttft_p50", direction="adverse",
                   value=620.0, reference_value=400.0, ratio=1.55, ci_low=1.4, ci_high=1.7, p=0.0001, q=0.0004,
                   n=400, reference_n=420, min_n=60, test="mann-whitney", status=status, reason="…")


def report() -> AuditReport:
    return AuditReport(generated_at=datetime(2026, 11, 9, tzinfo=UTC), since=datetime(2026, 11, 2, tzinfo=UTC),
                       until=datetime(2026, 11, 9, tzinfo=UTC), records=820, data_sources={}, left_out={},
                       attributes=["gender"], policy_versions=[], thresholds={},
                       findings=[_finding("confirmed", "female"), _finding("warning", "other")], ll144=[],
                       group_metrics=[], skipped=[])


def test_the_payload_carries_the_confirmed_findings_and_where_to_read_more() -> None:
    payload = confirmed_payload(audit_id="aud_" + "1" * 32, trigger="schedule:weekly", report=report(),
                                formats=["json", "pdf"])
    assert payload["event"] == EVENT and payload["window"] == {"since": "2026-11-02T00:00:00Z",
                                                               "until": "2026-11-09T00:00:00Z"}
    [finding] = payload["confirmed"]
    assert finding["group"] == "female" and finding["ratio"] == 1.55 and finding["ci"] == [1.4, 1.7]
    assert finding["q"] == 0.0004 and finding["attribute"] == "gender" and finding["metric"] == "ttft_p50"
    assert payload["report_url"] == "/v1/audits/aud_" + "1" * 32
    assert payload["files"]["pdf"] == payload["report_url"] + "/files/pdf"


def _audit(database) -> tuple[AuditStore, str]:  # type: ignore[no-untyped-def]
    store = AuditStore(database)
    now = datetime.now(UTC)
    return store, store.create(requested_by="officer", trigger="manual", since=now - timedelta(days=7), until=now,
                               parameters={}, now=now)


def notifier(store: AuditStore, url: str, **kwargs) -> WebhookNotifier:  # type: ignore[no-untyped-def]
    kwargs.setdefault("backoff_s", 0.05)
    return WebhookNotifier(url=url, secret=SECRET, store=store, timeout_s=5, **kwargs)


def test_a_failed_delivery_is_retried_signed_afresh_and_every_attempt_recorded(database) -> None:  # type: ignore[no-untyped-def]
    store, audit_id = _audit(database)
    payload = confirmed_payload(audit_id=audit_id, trigger="manual", report=report(), formats=["json"])
    with receiver(answers=[500, 503]) as hook:
        sender = notifier(store, hook.url, attempts=5)
        sender.start()
        try:
            sender.submit(audit_id, payload)
            got = hook.wait_for(3)
        finally:
            sender.close()
    assert [r.body for r in got] == [body_of(payload)] * 3
    for attempt, received in enumerate(got, start=1):
        assert verify(SECRET, received.headers["x-govgate-signature"], received.body, now=received.at)
        assert received.headers["x-govgate-delivery"] == str(attempt)
        assert received.headers["x-govgate-event"] == EVENT and received.headers["x-govgate-audit-id"] == audit_id
        assert received.headers["content-type"] == "application/json"
    assert json.loads(got[0].body)["confirmed"][0]["group"] == "female"
    deliveries = AuditLog(database).deliveries(audit_id)
    assert [(d.attempt, d.status_code, d.delivered) for d in deliveries] == [(1, 500, False), (2, 503, False),
                                                                             (3, 200, True)]
    assert deliveries[0].error == "the receiver answered 500" and deliveries[2].error is None
    assert AuditLog(database).get(audit_id).webhook_state == "delivered"


def test_a_refusal_is_final(database) -> None:  # type: ignore[no-untyped-def]
    store, audit_id = _audit(database)
    with receiver(answers=[401]) as hook:
        delivered = notifier(store, hook.url, attempts=5).deliver(audit_id, {"audit_id": audit_id})
        assert len(hook.received) == 1
    assert not delivered
    [only] = AuditLog(database).deliveries(audit_id)
    assert only.status_code == 401 and "not retried" in only.error
    assert AuditLog(database).get(audit_id).webhook_state == "failed"


def test_an_unreachable_receiver_gets_bounded_attempts(database) -> None:  # type: ignore[no-untyped-def]
    store, audit_id = _audit(database)
    url = f"http://127.0.0.1:{free_port()}/hook?token=do-not-store"
    assert not notifier(store, url, attempts=3, backoff_s=0.01).deliver(audit_id, {"audit_id": audit_id})
    deliveries = AuditLog(database).deliveries(audit_id)
    assert [(d.attempt, d.status_code, d.error) for d in deliveries] == [(i, None, "ConnectError") for i in (1, 2, 3)]
    assert AuditLog(database).get(audit_id).webhook_state == "failed"


def test_the_notifier_refuses_a_short_secret(database) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="16 bytes"):
        WebhookNotifier(url="http://127.0.0.1:1/", secret=b"short", store=AuditStore(database))
