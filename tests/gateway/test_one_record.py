"""Every request leaves exactly one decision record, on SQLite and PostgreSQL: one table, one
row per way a request can end, each checked for the one row it added and what that row says
(status, stage, the policy's verdict: null when the request stopped before the policy ran).

Where a request stopped is covered field by field in test_record_stages.py; this module checks
the count (one row, not none and not two) over every ending, with the response's id naming it.
Anonymous refusals past the first few per address are counted into aggregate records instead:
test_preauth.py checks that accounting on both databases.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from gateway.auth import create_key
from gateway.store.keys import KeyStore
from tests.conftest import SUPPORT_HEADERS, Gateway, _postgres_database
from tests.gateway.hostile_upstream import PLAIN_ANSWER, HostileUpstream, chunk, hostile_gateway

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "Where is my parcel?"}]}
RATE_LIMIT = 40
MAX_BODY = 64 * 1024
ECHOED = "Call me on +1 415 555 0134 or write to maria.gonzalez@example.com."


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hostile(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            pii_engine) -> Iterator[tuple[Gateway, HostileUpstream]]:  # type: ignore[no-untyped-def]
    tmp = Path(tmp_path_factory.mktemp(f"one-record-{request.param}"))
    urls = iter([None]) if request.param == "sqlite" else _postgres_database()
    for database_url in urls:
        yield from hostile_gateway(tmp, pii_engine, database_url=database_url, rate_limit_per_minute=RATE_LIMIT,
                                   max_body_bytes=MAX_BODY)


@pytest.fixture
def upstream_reset(hostile: tuple[Gateway, HostileUpstream]) -> Iterator[tuple[Gateway, HostileUpstream]]:
    gateway, upstream = hostile
    yield gateway, upstream
    upstream.answer, upstream.events, upstream.status = PLAIN_ANSWER, [], 200


def post(gateway: Gateway, body: dict | bytes = CHAT, *, key: str | None = "bot", stream: bool = False,
         **headers: str) -> httpx.Response:
    all_headers = {**SUPPORT_HEADERS, "content-type": "application/json", **headers}
    if key is not None:
        all_headers["authorization"] = f"Bearer {gateway.bot_key if key == 'bot' else key}"
    content = body if isinstance(body, bytes) else json.dumps({**body, "stream": True} if stream else body).encode()
    return httpx.post(gateway.base_url + "/chat/completions", content=content, headers=all_headers, timeout=30)


def rate_limited(gateway: Gateway) -> httpx.Response:
    key, _ = create_key(KeyStore(gateway.services().database), caller="burst-bot", roles=["bot"])
    for _ in range(RATE_LIMIT):  # a minute's allowance, on the cheapest governed call
        httpx.get(gateway.base_url + "/models", headers={**SUPPORT_HEADERS, "authorization": f"Bearer {key}"})
    return post(gateway, key=key)


def upstream_fails(upstream: HostileUpstream) -> None:
    upstream.status = 500


def upstream_echoes(upstream: HostileUpstream) -> None:
    upstream.answer = {**PLAIN_ANSWER, "choices": [{"index": 0, "message": {"role": "assistant", "content": ECHOED},
                                                    "finish_reason": "stop"}]}
    upstream.events = [chunk({"role": "assistant", "content": ""}), chunk({"content": ECHOED}), chunk({}, "stop")]


@dataclass(frozen=True)
class Ending:
    """One way a request ends: how to make it, and what its one record must say."""

    name: str
    send: Callable[[Gateway], httpx.Response]
    status: int  # the HTTP status, and the record's
    stage: str
    allowed: bool | None
    prepare: Callable[[HostileUpstream], None] = lambda upstream: None
    caller: str | None = "support-bot"
    answer_findings: bool = False


ENDINGS = [
    Ending("plain answer", lambda gw: post(gw), 200, "completed", True),
    Ending("streamed answer", lambda gw: post(gw, stream=True), 200, "completed", True),
    Ending("denied by the policy", lambda gw: post(gw, **{"X-Purpose": "profiling"}), 403, "policy", False),
    Ending("malformed body", lambda gw: post(gw, b'{"model": "demo-chat", "messages": ['), 400, "request", None),
    Ending("no messages", lambda gw: post(gw, {"model": "demo-chat", "messages": []}), 400, "request", None),
    Ending("unknown key", lambda gw: post(gw, key="gg_unknown_key"), 401, "admission", None, caller=None),
    Ending("body too large", lambda gw: post(gw, b"{" + b" " * MAX_BODY + b"}"), 413, "request", None),
    Ending("rate limited", rate_limited, 429, "admission", None, caller="burst-bot"),
    Ending("upstream error", lambda gw: post(gw), 502, "forwarding", True, prepare=upstream_fails),
    Ending("upstream error, streamed", lambda gw: post(gw, stream=True), 502, "forwarding", True,
           prepare=upstream_fails),
    Ending("output scan takes PII out", lambda gw: post(gw), 200, "completed", True, prepare=upstream_echoes,
           answer_findings=True),
    Ending("output scan takes PII out, streamed", lambda gw: post(gw, stream=True), 200, "completed", True,
           prepare=upstream_echoes, answer_findings=True),
]


def count(gateway: Gateway) -> int:
    with gateway.services().database.connect() as connection:
        return connection.execute(text("SELECT COUNT(*) FROM decisions")).scalar_one()


def rows_after(gateway: Gateway, before: int) -> list[dict]:
    with gateway.services().database.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(
            text("SELECT decision_id, status_code, stage, allowed, caller FROM decisions ORDER BY seq"))][before:]


@pytest.mark.parametrize("ending", ENDINGS, ids=[e.name for e in ENDINGS])
def test_each_ending_leaves_exactly_one_record(upstream_reset: tuple[Gateway, HostileUpstream], ending: Ending) -> None:
    gateway, upstream = upstream_reset
    ending.prepare(upstream)
    if ending.name == "rate limited":
        response = ending.send(gateway)  # its allowance's calls are records of their own: count after them
        before = count(gateway) - 1
    else:
        before = count(gateway)
        response = ending.send(gateway)
    assert response.status_code == ending.status, response.text
    decision_id = response.headers["x-decision-id"]
    if ending.status >= 400:
        assert response.json()["error"]["decision_id"] == decision_id
    added = rows_after(gateway, before)
    assert [row["decision_id"] for row in added] == [decision_id]
    [row] = added
    assert (row["status_code"], row["stage"], row["caller"]) == (ending.status, ending.stage, ending.caller)
    assert (None if row["allowed"] is None else bool(row["allowed"])) is ending.allowed
    record = gateway.services().decision_log.get(decision_id)
    assert record is not None and (record.status_code, record.stage, record.allowed) == (
        ending.status, ending.stage, ending.allowed)
    if ending.stage in ("admission", "request"):
        assert record.policy.result is None and record.reasons == []
    answer_findings = [f for f in record.findings if f.location.startswith("choices")]
    assert bool(answer_findings) is ending.answer_findings, record.findings
    if ending.answer_findings:
        assert "555 0134" not in response.text and "maria.gonzalez@example.com" not in response.text


def test_the_ledger_holds_one_record_per_request_and_verifies(hostile: tuple[Gateway, HostileUpstream]) -> None:
    gateway, _ = hostile
    check = gateway.services().decision_log.verify()
    assert check.ok and check.decisions.checked == count(gateway)
