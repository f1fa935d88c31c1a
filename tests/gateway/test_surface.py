"""Every response of a governed route is a recorded decision with its id (issue 9, items 11-13).

- POST /v1/pii/analyze goes through admission, policy, a size limit and the ledger.
- A body over the size limit (declared, or chunked without a length) is a recorded 413.
- A denied model listing is a 403 with its rule ids, never a 200.
- A method a governed path does not take is a recorded 405.
- /readyz shows component states only; the API docs follow the environment; the in-process
  demo upstream answers only this gateway.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from gateway.store.keys import KeyStore
from gateway.auth import create_key
from gateway.config import Settings
from gateway.services import StartupError, open_services
from tests.conftest import SUPPORT_HEADERS, Gateway, start_gateway

TEXT = "Hi, I am Maria Gonzalez, card 4111 1111 1111 1111, 我的手机13800138000。"
CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "Hello, I am Maria Gonzalez."}]}


def headers(key: str, **extra: str) -> dict[str, str]:
    return {**SUPPORT_HEADERS, "authorization": f"Bearer {key}", **extra}


def recorded(gateway: Gateway, response: httpx.Response, status: int) -> dict:
    """The response carries a decision id, its body too when it is an error, and the ledger has it."""
    assert response.status_code == status, response.text
    decision_id = response.headers["x-decision-id"]
    if status >= 400 and response.request.method != "HEAD":
        error = response.json()["error"]
        assert error["decision_id"] == decision_id and error["message"] and error["type"] and error["code"]
    record = gateway.services().decision_log.get(decision_id)
    assert record is not None and record.status_code == status
    return record.model_dump(mode="json")


def key_with(gateway: Gateway, caller: str, role: str) -> str:
    key, _ = create_key(KeyStore(gateway.services().database), caller=caller, roles=[role])
    return key


# --- /v1/pii/analyze through the pipeline -------------------------------------------------


def test_analyze_is_a_recorded_decision_with_findings_but_no_values(gateway: Gateway) -> None:
    response = httpx.post(gateway.base_url + "/pii/analyze", json={"text": TEXT}, headers=headers(gateway.bot_key))
    record = recorded(gateway, response, 200)
    findings = response.json()["findings"]
    assert {"PERSON", "CREDIT_CARD", "PHONE_NUMBER"} <= {f["entity_type"] for f in findings}
    assert "Maria" not in response.text and "4111" not in response.text and "13800138000" not in response.text
    assert record["kind"] == "pii" and record["allowed"] and record["policy"]["input"]["request"]["kind"] == "pii"
    assert {(f["entity_type"], f["action"]) for f in record["findings"]} >= {("PERSON", "reported")}
    assert "Maria" not in json.dumps(record) and "4111 1111" not in json.dumps(record)


def test_analyze_is_denied_where_the_policy_denies_it(gateway: Gateway) -> None:
    # The sample policy lets `admin` list models only: analyze is refused like redact.
    admin = key_with(gateway, "ops", "admin")
    for path in ("/pii/analyze", "/pii/redact"):
        response = httpx.post(gateway.base_url + path, json={"text": TEXT}, headers=headers(admin))
        record = recorded(gateway, response, 403)
        assert response.json()["error"]["code"] == "policy_denied" and response.json()["error"]["rule_ids"]
        assert "findings" not in response.json() and "Maria" not in response.text
        assert not record["allowed"]


def test_analyze_checks_the_governance_headers(gateway: Gateway) -> None:
    response = httpx.post(gateway.base_url + "/pii/analyze", json={"text": "hello"},
                          headers=headers(gateway.bot_key, **{"X-Customer-Attributes": "not a pair"}))
    recorded(gateway, response, 400)


def test_analyze_is_rate_limited(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, rate_limit_per_minute=5)
    try:
        responses = [httpx.post(gateway.base_url + "/pii/analyze", json={"text": "hello"},
                                headers=headers(gateway.bot_key)) for _ in range(8)]
        assert [r.status_code for r in responses] == [200] * 5 + [429] * 3
        limited = recorded(gateway, responses[-1], 429)
        assert limited["error_code"] == "rate_limit_exceeded"
        assert int(responses[-1].headers["retry-after"]) >= 1
    finally:
        server.stop()


def test_pii_texts_past_the_size_limit_are_recorded_413s(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, pii_api_max_chars=1000)
    try:
        for path in ("/pii/analyze", "/pii/redact"):
            at_limit = httpx.post(gateway.base_url + path, json={"text": "张" * 1000}, headers=headers(gateway.bot_key))
            assert at_limit.status_code == 200
            over = httpx.post(gateway.base_url + path, json={"text": "张" * 1001}, headers=headers(gateway.bot_key))
            record = recorded(gateway, over, 413)
            assert record["error_code"] == "text_too_long" and over.json()["error"]["param"] == "text"
            assert record["timings"]["pii"] == 0  # refused before any detection ran
    finally:
        server.stop()


# --- bodies over the size limit -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/chat/completions", "/embeddings", "/pii/analyze", "/pii/redact"])
def test_a_declared_oversize_body_is_a_recorded_413(gateway: Gateway, path: str) -> None:
    big = json.dumps({**CHAT, "messages": [{"role": "user", "content": "x" * (gateway.settings.max_body_bytes + 1)}]})
    response = httpx.post(gateway.base_url + path, content=big.encode(),
                          headers={**headers(gateway.bot_key), "content-type": "application/json"})
    record = recorded(gateway, response, 413)
    assert record["caller"] == "support-bot" and record["error_code"] == "payload_too_large"
    assert gateway.received() == []


def test_a_chunked_oversize_body_without_a_length_is_a_recorded_413(gateway: Gateway) -> None:
    chunk = b"x" * 65536
    count = gateway.settings.max_body_bytes // len(chunk) + 2

    def body() -> Iterator[bytes]:
        yield b'{"model": "demo-chat", "messages": [{"role": "user", "content": "'
        for _ in range(count):
            yield chunk
        yield b'"}]}'

    response = httpx.post(gateway.base_url + "/chat/completions", content=body(),
                          headers={**headers(gateway.bot_key), "content-type": "application/json"})
    assert "content-length" not in response.request.headers
    recorded(gateway, response, 413)
    assert gateway.received() == []


def test_an_anonymous_oversize_body_is_a_401_first(gateway: Gateway) -> None:
    response = httpx.post(gateway.base_url + "/chat/completions",
                          content=b"x" * (gateway.settings.max_body_bytes + 1))
    record = recorded(gateway, response, 401)
    assert record["caller"] is None


# --- models: a denied listing is a 403 ------------------------------------------------------


def test_a_denied_model_listing_is_a_403_with_rule_ids(gateway: Gateway) -> None:
    security = key_with(gateway, "sec", "security_admin")  # may analyse PII, never list models
    response = httpx.get(gateway.base_url + "/models", headers=headers(security))
    record = recorded(gateway, response, 403)
    error = response.json()["error"]
    assert error["code"] == "policy_denied" and "ACC-002" in error["rule_ids"]
    assert "data" not in response.json() and not record["allowed"]


def test_an_allowed_model_listing_is_a_recorded_200(gateway: Gateway) -> None:
    response = httpx.get(gateway.base_url + "/models", headers=headers(gateway.bot_key))
    recorded(gateway, response, 200)
    assert [m["id"] for m in response.json()["data"]] == ["demo-chat", "demo-embed"]
    head = httpx.head(gateway.base_url + "/models", headers=headers(gateway.bot_key))
    recorded(gateway, head, 200)


# --- methods a governed path does not take ------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("GET", "/chat/completions"), ("HEAD", "/chat/completions"),
                                              ("OPTIONS", "/embeddings"), ("DELETE", "/models"),
                                              ("PUT", "/pii/analyze"), ("GET", "/pii/redact")])
def test_a_method_the_path_does_not_take_is_a_recorded_405(gateway: Gateway, method: str, path: str) -> None:
    response = httpx.request(method, gateway.base_url + path, headers=headers(gateway.bot_key))
    record = recorded(gateway, response, 405)
    assert response.headers["allow"] in ("POST", "GET, HEAD")
    assert record["error_code"] == "method_not_allowed"


# --- the unauthenticated surface ----------------------------------------------------------


def test_readyz_shows_component_states_only(gateway: Gateway) -> None:
    response = httpx.get(gateway.url + "/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body == {"ready": True, "checks": {"ledger": {"ok": True}, "policy": {"ok": True}, "pii": {"ok": True}}}
    for detail in (str(gateway.policy_dir), gateway.services().policy.bundle_hash, "history", "pipeline_mode"):
        assert detail not in response.text
    # The details stay available to the roles that may read them.
    status = httpx.get(gateway.base_url + "/policies/status",
                       headers={"authorization": f"Bearer {gateway.officer_key}"}).json()
    assert status["bundle_hash"] and status["pipeline_mode"] == "full" and "history" in status


def test_docs_are_served_in_development(gateway: Gateway) -> None:
    assert gateway.settings.environment == "development"
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(gateway.url + path).status_code == 200


PRODUCTION = {"environment": "production", "hmac_key": "k" * 32, "vault_key": Fernet.generate_key().decode()}


def test_production_hides_the_docs_and_never_serves_the_demo(tmp_path: Path, pii_engine) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=None, **PRODUCTION)
    try:
        for path in ("/docs", "/redoc", "/openapi.json", "/demo-upstream/v1/models"):
            response = httpx.get(gateway.url + path)
            assert response.status_code == 404 and response.json()["error"]["type"] == "invalid_request_error"
        # The sample deployments use builtin:demo, which production does not serve.
        response = httpx.post(gateway.base_url + "/chat/completions", json=CHAT, headers=headers(gateway.bot_key))
        assert recorded(gateway, response, 502)["error_code"] == "upstream_unavailable"
    finally:
        server.stop()


def test_docs_can_be_turned_on_explicitly_in_production(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, docs_enabled=True,
                                    **PRODUCTION)
    try:
        assert httpx.get(gateway.url + "/openapi.json").status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize(("changes", "named"), [
    ({"hmac_key": None}, "GOVGATE_HMAC_KEY"),
    ({"vault_key": None}, "GOVGATE_VAULT_KEY"),
    ({"pipeline_mode": "passthrough"}, "GOVGATE_PIPELINE_MODE"),
])
def test_production_refuses_unsafe_defaults(tmp_path: Path, changes: dict, named: str) -> None:
    settings = Settings(data_dir=tmp_path, **{**PRODUCTION, **changes})

    async def start() -> None:
        async with open_services(settings, builtin_demo_url=None):
            pass

    with pytest.raises(StartupError, match=named):
        asyncio.run(start())
    assert not (tmp_path / "hmac.key").exists()  # refused before anything was generated


def test_the_in_process_demo_answers_only_this_gateway(tmp_path: Path, pii_engine) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=None)
    try:
        response = httpx.post(gateway.base_url + "/chat/completions", json=CHAT, headers=headers(gateway.bot_key))
        # The demo echoes what it received (the pseudonym); the gateway restores it for the caller.
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"] == CHAT["messages"][0]["content"]
        demo = gateway.url + "/demo-upstream/v1"
        slow = {"model": "demo-slow-60000", "messages": [{"role": "user", "content": "hi"}]}
        for sent in ({}, {"x-govgate-demo-secret": "guess"}, {"x-govgate-demo-secret": ""}):
            assert httpx.post(demo + "/chat/completions", json=slow, headers=sent, timeout=10).status_code == 404
            assert httpx.get(demo + "/models", headers=sent).status_code == 404
        secret = gateway.services().builtin_demo_secret
        assert secret and httpx.get(demo + "/models", headers={"x-govgate-demo-secret": secret}).status_code == 200
        twice = [("x-govgate-demo-secret", secret), ("x-govgate-demo-secret", secret)]
        assert httpx.get(demo + "/models", headers=twice).status_code == 404
    finally:
        server.stop()


def test_the_demo_is_not_mounted_when_no_deployment_uses_it(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    def external_deployments(policy_dir: Path) -> None:
        for test_file in policy_dir.rglob("routing_test.rego"):
            test_file.unlink()
        path = policy_dir / "data" / "deployments.json"
        data = json.loads(path.read_text())
        for deployment in data.values():
            deployment["base_url"] = upstream
        path.write_text(json.dumps(data))

    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=None,
                                    prepare_policy=external_deployments)
    try:
        assert gateway.services().builtin_demo_secret is None
        assert httpx.get(gateway.url + "/demo-upstream/v1/models").status_code == 404
        response = httpx.post(gateway.base_url + "/chat/completions", json=CHAT, headers=headers(gateway.bot_key))
        assert response.status_code == 200
    finally:
        server.stop()
