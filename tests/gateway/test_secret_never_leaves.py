"""A credential in a prompt never reaches the upstream and never comes back (issue 12, item 5).

Real gateway over HTTP, real PII engine, the sample policy: SECRET is redacted for every
purpose, in requests and answers, and never restored. One upstream echoes what it gets (so a
leak on the way in would come back); another answers with a token of its own (so only the
answer guard stands between it and the caller).
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import SUPPORT_HEADERS, Gateway, ServerThread, start_gateway
from tests.gateway.test_errors import post
from tests.net import free_port


def github_token(seed: int) -> str:
    rng = random.Random(seed)
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


TOKEN = github_token(12)
UPSTREAM_TOKEN = github_token(13)


def decision(gateway: Gateway, decision_id: str) -> dict:
    response = httpx.get(f"{gateway.base_url}/decisions/{decision_id}",
                         headers={"authorization": f"Bearer {gateway.officer_key}"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("purpose", ["customer-support", "marketing"])
def test_token_in_prompt_is_redacted_upstream_in_answer_and_record(gateway_on: Gateway, purpose: str) -> None:
    gateway = gateway_on  # SQLite and PostgreSQL: the stored record holds no token either
    prompt = f"Our CI fails since this morning, the token is {TOKEN} - can you check? Thanks, Maria"
    response = post(gateway, {"model": "demo-chat", "messages": [{"role": "user", "content": prompt}]},
                    headers={"X-Purpose": purpose})
    assert response.status_code == 200, response.text
    sent = json.dumps(gateway.received()[-1])
    assert TOKEN not in sent and TOKEN[4:] not in sent
    assert TOKEN not in response.text and TOKEN[4:] not in response.text
    record = decision(gateway, response.headers["x-decision-id"])
    secrets = [f for f in record["findings"] if f["entity_type"] == "SECRET"]
    assert [f["action"] for f in secrets] == ["redact"]
    assert TOKEN[4:20] not in json.dumps(record)


def test_token_in_a_streamed_request_never_comes_back(gateway: Gateway) -> None:
    body = {"model": "demo-chat", "stream": True,
            "messages": [{"role": "user", "content": f"export GITHUB_TOKEN={TOKEN}\nwhy 401?"}]}
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    with httpx.stream("POST", gateway.base_url + "/chat/completions", json=body, headers=headers, timeout=30) as r:
        assert r.status_code == 200
        streamed = "".join(r.iter_text())
    assert TOKEN[4:] not in streamed
    assert TOKEN[4:] not in json.dumps(gateway.received()[-1])


def test_secret_in_a_tool_call_argument_is_redacted_upstream(gateway: Gateway) -> None:
    messages = [
        {"role": "user", "content": "Deploy please"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "deploy", "arguments": json.dumps({"token": TOKEN})}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
        {"role": "user", "content": "done?"},
    ]
    response = post(gateway, {"model": "demo-chat", "messages": messages})
    assert response.status_code == 200, response.text
    assert TOKEN[4:] not in json.dumps(gateway.received()[-1])


def _token_upstream() -> FastAPI:
    """An upstream that answers every chat with a credential of its own."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat() -> dict:
        answer = f"Sure, use this one instead: {UPSTREAM_TOKEN} and AKIAIOSFODNN7EXAMPLE."
        return {"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "demo-chat",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    return app


@pytest.fixture
def token_gateway(tmp_path: Path, pii_engine) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    upstream = ServerThread(_token_upstream(), free_port())
    upstream.start()
    gw, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=f"http://127.0.0.1:{upstream.port}/v1")
    yield gw
    server.stop()
    upstream.stop()


def test_a_token_the_upstream_writes_is_redacted_in_the_answer(token_gateway: Gateway) -> None:
    response = post(token_gateway, {"model": "demo-chat", "messages": [{"role": "user", "content": "any key?"}]})
    assert response.status_code == 200, response.text
    answer = response.json()["choices"][0]["message"]["content"]
    assert UPSTREAM_TOKEN[4:] not in answer and "AKIAIOSFODNN7EXAMPLE" not in answer
    assert answer.startswith("Sure, use this one instead:")
