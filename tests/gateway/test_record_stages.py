"""Where a request stopped, and whether the policy decided (decision record schema 2).

`allowed` is the policy's verdict: true or false only when the policy decided, null for a
request refused before it (400, 401, 405, 413, 429). `stage` names the stage the request
stopped in, or "completed". On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.decision import DecisionRecord
from gateway.policy.documents import PolicyInput, PolicyResult, Reason
from tests.conftest import SUPPORT_HEADERS, Gateway, start_gateway
from tests.gateway.hostile_upstream import HostileUpstream, hostile_gateway

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "Where is my parcel?"}]}


@pytest.fixture
def gateway(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """On each database; a low rate limit so a 429 is a few calls away (for its own caller)."""
    gw, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url,
                               rate_limit_per_minute=12, max_messages=4)
    gw.clear_received()
    yield gw
    server.stop()


def call(gateway: Gateway, body: dict | bytes = CHAT, *, path: str = "/chat/completions", key: str | None = "bot",
         method: str = "POST", **extra: str) -> httpx.Response:
    headers = {**SUPPORT_HEADERS, "content-type": "application/json", **extra}
    if key is not None:
        headers["authorization"] = f"Bearer {gateway.bot_key if key == 'bot' else key}"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.request(method, gateway.base_url + path, content=content if method == "POST" else None,
                         headers=headers, timeout=30)


def record_of(gateway: Gateway, response: httpx.Response, status: int) -> DecisionRecord:
    assert response.status_code == status, response.text
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    assert record is not None and record.status_code == status and record.schema_version == "2"
    return record


def test_refusals_before_the_policy_have_no_verdict(gateway: Gateway) -> None:
    cases = [
        (call(gateway, key=None), 401, "admission"),
        (call(gateway, key="gg_not_a_key"), 401, "admission"),
        (call(gateway, **{"X-Channel": "not a word"}), 400, "admission"),
        (call(gateway, **{"X-Customer-Region": "Europe/Paris"}), 400, "admission"),
        (call(gateway, b'{"model": "demo-chat", "messages": ['), 400, "request"),
        (call(gateway, {**CHAT, "messages": CHAT["messages"] * 5}), 413, "request"),  # max_messages=4
        (call(gateway, {**CHAT, "messages": [{"role": "user", "content": "x" * (2 * 1024 * 1024)}]}), 413,
         "request"),  # the body, before it is read
        (call(gateway, method="GET"), 405, "request"),
    ]
    for response, status, stage in cases:
        record = record_of(gateway, response, status)
        assert (record.allowed, record.stage) == (None, stage), (status, record.error_code)
        assert record.policy.result is None and record.reasons == []
    stored = {row["decision_id"]: row for row in _rows(gateway)}
    assert all(stored[r.headers["x-decision-id"]]["allowed"] is None for r, _, _ in cases)


def test_a_rate_limited_request_has_no_verdict(gateway: Gateway) -> None:
    from gateway.auth import create_key
    from gateway.store.keys import KeyStore

    key, _ = create_key(KeyStore(gateway.services().database), caller="burst", roles=["bot"])
    responses = [call(gateway, key=key) for _ in range(14)]
    limited = next(r for r in responses if r.status_code == 429)
    record = record_of(gateway, limited, 429)
    assert (record.allowed, record.stage, record.caller) == (None, "admission", "burst")


def test_a_denied_request_is_false_at_the_policy_stage(gateway: Gateway) -> None:
    record = record_of(gateway, call(gateway, **{"X-Purpose": "profiling"}), 403)
    assert (record.allowed, record.stage) == (False, "policy")
    assert isinstance(record.policy.result, PolicyResult) and isinstance(record.policy.input, PolicyInput)
    assert record.reasons and all(isinstance(r, Reason) and r.rule_id for r in record.reasons)
    assert {r.rule_id for r in record.policy.result.deny} <= {r.rule_id for r in record.reasons}


def test_an_allowed_request_refused_after_the_policy_keeps_its_verdict(gateway: Gateway) -> None:
    # PII in a tool name cannot be rewritten: the obligations stage refuses what the policy allowed.
    tool = {"type": "function", "function": {"name": "notify_Maria_Gonzalez", "parameters": {"type": "object"}}}
    record = record_of(gateway, call(gateway, {**CHAT, "tools": [tool]}), 400)
    assert (record.allowed, record.stage, record.error_code) == (True, "obligations", "pii_in_identifier")


def test_successes_are_true_and_completed(gateway: Gateway) -> None:
    plain = record_of(gateway, call(gateway), 200)
    models = record_of(gateway, call(gateway, path="/models", method="GET"), 200)
    analyzed = record_of(gateway, call(gateway, {"text": "我的手机13800138000"}, path="/pii/analyze"), 200)
    redacted = record_of(gateway, call(gateway, {"text": "write to maria.gonzalez@example.com"},
                                       path="/pii/redact"), 200)
    embedded = record_of(gateway, call(gateway, {"model": "demo-embed", "input": "parcel"}, path="/embeddings"), 200)
    for record in (plain, models, analyzed, redacted, embedded):
        assert (record.allowed, record.stage, record.benchmark, record.source) == (True, "completed", False, "gateway")
    assert all(a.outcome == "ok" and a.status is None for a in plain.route.attempts)


@pytest.fixture
def hostile(tmp_path: Path, pii_engine) -> Iterator[tuple[Gateway, HostileUpstream]]:  # type: ignore[no-untyped-def]
    yield from hostile_gateway(tmp_path, pii_engine)


def test_an_answer_the_gateway_cannot_read_stops_at_the_answer(hostile: tuple[Gateway, HostileUpstream]) -> None:
    gateway, upstream = hostile
    upstream.answer = {"id": "x", "object": "chat.completion", "choices": "not a list"}
    record = record_of(gateway, call(gateway), 502)
    assert (record.allowed, record.stage, record.error_code) == (True, "answer", "upstream_malformed")
    upstream.answer = b"not json"
    record = record_of(gateway, call(gateway), 502)
    assert (record.allowed, record.stage) == (True, "forwarding")
    assert [(a.outcome, a.status) for a in record.route.attempts][-1] == ("rejected", 502)
    upstream.events = [b"data: {not json}\n\n"]
    streamed = call(gateway, {**CHAT, "stream": True})
    assert streamed.status_code == 200 and "upstream_malformed_stream" in streamed.text
    record = gateway.services().decision_log.get(streamed.headers["x-decision-id"])
    assert (record.stage, record.status_code) == ("answer", 502)
    assert [(a.outcome, a.status) for a in record.route.attempts] == [("malformed", None)]


def test_counted_anonymous_refusals_stopped_at_admission() -> None:
    from gateway.anonymous import AnonymousRefusals

    refusals = AnonymousRefusals(individual=0)
    assert refusals.fold("client", kind="chat", status_code=401, error_code="missing_api_key") is not None
    [aggregate] = refusals.drain()
    assert (aggregate.allowed, aggregate.stage, aggregate.kind) == (None, "admission", "aggregate")


def test_benchmark_records_say_so(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, pipeline_mode="policy")
    try:
        record = record_of(gateway, call(gateway, {**CHAT, "messages": [{"role": "user", "content": "包裹在哪里"}]}),
                           200)
        assert record.benchmark and record.policy.pipeline_mode == "policy" and record.stage == "completed"
        assert record.features.language == "zh"  # chosen the same way without detection
        assert record.model_dump(mode="json")["benchmark"] is True
    finally:
        server.stop()


def _rows(gateway: Gateway) -> list[dict]:
    from sqlmodel import Session, select

    from gateway.store.models import DecisionRow

    with Session(gateway.services().database) as session:
        return [dict(row.record) for row in session.exec(select(DecisionRow))]
