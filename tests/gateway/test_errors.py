"""Bad input and faults: OpenAI-style errors with the right status, recorded, fail closed.

Every test runs on SQLite and on PostgreSQL: each error is recorded in the ledger.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest
from sqlalchemy import text

from tests.conftest import SUPPORT_HEADERS, Gateway, start_gateway
from tests.net import free_port

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "Hello, I am Maria Gonzalez."}]}


@pytest.fixture
def gateway(gateway_on: Gateway) -> Gateway:
    """This module's gateway is the one on each database (conftest's `gateway` is SQLite only)."""
    return gateway_on


def post(gateway: Gateway, body: bytes | dict, *, key: str | None = None, headers: dict | None = None,
         path: str = "/chat/completions") -> httpx.Response:
    all_headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {key or gateway.bot_key}",
                   "content-type": "application/json", **(headers or {})}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(gateway.base_url + path, content=content, headers=all_headers, timeout=30)


def assert_error(response: httpx.Response, status: int, error_type: str, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == error_type and error["message"]
    if code is not None:
        assert error["code"] == code
    assert "Traceback" not in response.text
    return error


def recorded(gateway: Gateway, response: httpx.Response) -> dict:
    decision_id = response.headers["x-decision-id"]
    assert response.json()["error"]["decision_id"] == decision_id
    record = gateway.services().decision_log.get(decision_id)
    assert record is not None
    return record.model_dump()


def test_malformed_json_is_400_and_recorded(gateway: Gateway) -> None:
    response = post(gateway, b'{"model": "demo-chat", "messages": [')
    assert_error(response, 400, "invalid_request_error", "invalid_request")
    assert recorded(gateway, response)["status_code"] == 400


def test_invalid_utf8_is_400(gateway: Gateway) -> None:
    assert_error(post(gateway, b'{"model": "\xff\xfe"}'), 400, "invalid_request_error")


def test_missing_field_names_the_parameter(gateway: Gateway) -> None:
    error = assert_error(post(gateway, {"model": "demo-chat"}), 400, "invalid_request_error")
    assert error["param"] == "messages"


def test_non_text_content_is_refused_not_forwarded_unseen(gateway: Gateway) -> None:
    body = {"model": "demo-chat", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}
    assert_error(post(gateway, body), 400, "invalid_request_error")
    assert gateway.received() == []


def test_malformed_header_is_400_without_echo(gateway: Gateway) -> None:
    response = post(gateway, CHAT, headers={"X-Customer-Attributes": "email=someone@example.com"})
    error = assert_error(response, 400, "invalid_request_error", "invalid_header")
    assert error["param"] == "X-Customer-Attributes" and "someone@example.com" not in response.text


def test_missing_and_invalid_keys_are_401(gateway: Gateway) -> None:
    response = httpx.post(gateway.base_url + "/chat/completions", json=CHAT)
    assert_error(response, 401, "authentication_error")
    assert_error(post(gateway, CHAT, key="gg_1234_not-a-real-key"), 401, "authentication_error")


def test_revoked_key_stops_working(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from gateway.auth import create_key
    from gateway.store.keys import KeyStore

    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url,
                                    caller_cache_ttl_s=0)
    try:
        database = gateway.services().database
        key, info = create_key(KeyStore(database), caller="short-lived", roles=["bot"])
        assert post(gateway, CHAT, key=key).status_code == 200
        assert KeyStore(database).revoke(info.key_id)
        assert_error(post(gateway, CHAT, key=key), 401, "authentication_error")
    finally:
        server.stop()


def test_role_without_model_access_is_403(gateway: Gateway) -> None:
    error = assert_error(post(gateway, CHAT, key=gateway.officer_key), 403, "permission_error", "policy_denied")
    assert error["rule_ids"]


def test_unknown_model_is_404(gateway: Gateway) -> None:
    error = assert_error(post(gateway, {**CHAT, "model": "gpt-17"}), 404, "invalid_request_error",
                         "model_not_found")
    # An unlisted model is named by its keyed hash: a model field can carry anything.
    assert "gpt-17" not in json.dumps(error) and "unlisted:" in error["message"]


def test_oversize_body_is_413(gateway: Gateway) -> None:
    big = {**CHAT, "messages": [{"role": "user", "content": "x" * (gateway.settings.max_body_bytes + 10)}]}
    assert_error(post(gateway, big), 413, "invalid_request_error", "payload_too_large")
    assert gateway.received() == []


def test_rate_limit_is_429(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url,
                                    rate_limit_per_minute=2)
    try:
        statuses = [post(gateway, CHAT).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        response = post(gateway, CHAT)  # still over the limit within the minute
        assert_error(response, 429, "rate_limit_error", "rate_limit_exceeded")
        assert recorded(gateway, response)["status_code"] == 429
    finally:
        server.stop()


# --- upstream faults, with deployments added to a copy of the sample policy data ---------


def add_deployments(policy_dir: Path, deployments: dict[str, dict]) -> None:
    """Change or add deployments (new ones start as a copy of demo-chat-us).

    The sample's routing tests pin the sample deployments, so this site-specific copy goes
    without them (a policy whose tests fail would rightly never activate).
    """
    for test_file in policy_dir.rglob("routing_test.rego"):
        test_file.unlink()
    path = policy_dir / "data" / "deployments.json"
    data = json.loads(path.read_text())
    for name, changes in deployments.items():
        data[name] = {**data.get(name, data["demo-chat-us"]), **changes}
    path.write_text(json.dumps(data, indent=2))


def gateway_with(tmp_path: Path, pii_engine, upstream: str, deployments: dict[str, dict], *,  # type: ignore[no-untyped-def]
                 database_url: str):
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url,
                                    prepare_policy=lambda d: add_deployments(d, deployments))
    gateway.clear_received()
    return gateway, server


def test_upstream_error_fails_over_to_the_next_deployment(tmp_path: Path, pii_engine, upstream: str,  # type: ignore[no-untyped-def]
                                                          database_url: str) -> None:
    gateway, server = gateway_with(tmp_path, pii_engine, upstream,
                                   {"demo-chat-us-broken": {"model": "demo-error-500", "priority": 1}},
                                   database_url=database_url)
    try:
        response = post(gateway, CHAT)
        assert response.status_code == 200
        assert response.headers["x-govgate-deployment"] == "demo-chat-us"
        record = gateway.services().decision_log.get(response.headers["x-decision-id"])
        assert [(a.outcome, a.status) for a in record.route.attempts] == [("rejected", 500), ("ok", None)]
    finally:
        server.stop()


def test_all_upstreams_failing_is_502(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    broken = {name: {"model": "demo-error-503"} for name in ("demo-chat-us", "demo-chat-eu", "demo-chat-cn")}
    gateway, server = gateway_with(tmp_path, pii_engine, upstream, broken, database_url=database_url)
    try:
        response = post(gateway, CHAT)
        assert_error(response, 502, "upstream_error")
        assert recorded(gateway, response)["status_code"] == 502
    finally:
        server.stop()


def test_upstream_timeout_is_504(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    slow = {name: {"model": "demo-slow-3000", "timeout_s": 0.3} for name in ("demo-chat-us", "demo-chat-eu",
                                                                          "demo-chat-cn")}
    gateway, server = gateway_with(tmp_path, pii_engine, upstream, slow, database_url=database_url)
    try:
        response = post(gateway, CHAT)
        assert_error(response, 504, "timeout_error", "upstream_timeout")
        record = recorded(gateway, response)
        assert {a["outcome"] for a in record["route"]["attempts"]} == {"timeout"}
    finally:
        server.stop()


# --- fail closed: when a governance part cannot do its job, nothing goes upstream ----------


class BrokenPiiEngine:
    """Fault injection: the real engine's interface, failing like a crashed detector would."""

    languages = ("en", "zh")

    def analyze(self, text: str, **_: object) -> list:
        raise RuntimeError("detector crashed")

    def choose_language(self, text: str) -> str:
        return "en"  # choosing a language is a character count: it does not crash with the detector


def test_pii_failure_blocks_the_call(tmp_path: Path, upstream: str, database_url: str) -> None:
    gateway, server = start_gateway(tmp_path, pii_engine=BrokenPiiEngine(), upstream_url=upstream,
                                    database_url=database_url)
    gateway.clear_received()
    try:
        response = post(gateway, CHAT)
        assert_error(response, 503, "service_unavailable", "pii_detection_failed")
        assert gateway.received() == []
        assert "Maria" not in response.text
    finally:
        server.stop()


def test_unreachable_policy_blocks_the_call(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url,
                                    opa_url=f"http://127.0.0.1:{free_port()}")
    gateway.clear_received()
    try:
        response = post(gateway, CHAT)
        assert_error(response, 503, "service_unavailable", "policy_unavailable")
        assert gateway.received() == []
    finally:
        server.stop()


def test_ledger_failure_withholds_the_answer_then_blocks_calls(gateway: Gateway) -> None:
    with gateway.services().database.begin() as connection:
        connection.execute(text("ALTER TABLE decisions RENAME TO decisions_gone"))
    first = post(gateway, CHAT)
    assert_error(first, 503, "service_unavailable", "ledger_unavailable")
    assert "Maria" not in first.text
    gateway.clear_received()
    second = post(gateway, CHAT)
    assert_error(second, 503, "service_unavailable", "ledger_unavailable")
    assert gateway.received() == []
    # Once the ledger can write again, the gateway serves again.
    with gateway.services().database.begin() as connection:
        connection.execute(text("ALTER TABLE decisions_gone RENAME TO decisions"))
    post(gateway, CHAT)  # records its refusal, which heals the ledger's health flag
    assert post(gateway, CHAT).status_code == 200


def test_sdk_sees_openai_style_errors(gateway: Gateway) -> None:
    sdk = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, default_headers=SUPPORT_HEADERS,
                        max_retries=0)
    with pytest.raises(openai.NotFoundError) as raised:
        sdk.chat.completions.create(model="gpt-17", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.code == "model_not_found"


def test_unknown_fields_and_log_probabilities_are_refused(gateway: Gateway) -> None:
    error = assert_error(post(gateway, {**CHAT, "maria.gonzalez@example.com": [{"text": "Maria's file"}]}), 400,
                         "invalid_request_error")
    # An unknown field's name is the caller's input: never echoed (a key may be an e-mail address).
    assert error["param"] == "*" and "unknown field" in error["message"]
    assert "maria" not in json.dumps(error).lower()
    assert_error(post(gateway, {**CHAT, "logprobs": True}), 400, "invalid_request_error")
    assert gateway.received() == []


def test_caller_identifiers_are_stripped_and_names_scanned(gateway: Gateway) -> None:
    body = {"model": "demo-chat", "user": "maria.gonzalez@example.com", "metadata": {"crm": "cust-0042"},
            "messages": [
                {"role": "user", "name": "Maria Gonzalez", "content": "Where is my parcel?"},
                {"role": "assistant", "content": None, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "lookup", "arguments": '{"email": "maria.gonzalez@example.com"}'}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "Parcel for Maria Gonzalez is in Lyon."},
                {"role": "user", "content": "Thanks"},
            ]}
    response = post(gateway, body)
    assert response.status_code == 200, response.text
    sent = gateway.received()[-1]
    assert "user" not in sent and "metadata" not in sent
    assert "Maria" not in json.dumps(sent) and "maria.gonzalez@example.com" not in json.dumps(sent)
    assert sent["messages"][0]["name"] == "<PERSON_1>"
    assert json.loads(sent["messages"][1]["tool_calls"][0]["function"]["arguments"]) == {"email": "<EMAIL_ADDRESS_1>"}
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    assert {"/body/user", "/body/metadata"} <= set(record.erased)
