"""Streams stay streams: first tokens pass before the upstream has finished, tokens split
anywhere are restored, and a stream that breaks is reported and recorded."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from gateway.benchmarks.load import free_port
from gateway.upstream.sse import encode_event
from tests.conftest import SUPPORT_HEADERS, Gateway, ServerThread, start_gateway

FIRST_WORDS = "Thank you for waiting. "


class ScriptedUpstream:
    """An OpenAI-compatible upstream whose streams the test controls.

    - `gate`: the stream sends FIRST_WORDS, then waits until the test opens the gate;
    - `seed` (an OpenAI parameter the gateway passes through): the echoed last user message
      is sent in two chunks split at that position;
    - model `break-midway`: the connection drops after the first chunk.
    """

    def __init__(self) -> None:
        self.gate = threading.Event()
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> StreamingResponse:
            body = await request.json()
            text = body["messages"][-1]["content"]
            return StreamingResponse(self._events(body, text), media_type="text/event-stream")

        self.app = app

    async def _events(self, body: dict, text: str):  # type: ignore[no-untyped-def]
        def chunk(content: str | None, finish: str | None = None, delta: dict | None = None) -> bytes:
            delta = delta if delta is not None else ({} if content is None else {"content": content})
            return encode_event({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        tools = body.get("tools")
        if tools and tools[0]["function"]["name"] == "echo":
            # A tool call whose arguments echo the user's message, split mid-token.
            arguments = json.dumps({"note": text})
            cut = arguments.index("<") + 3
            yield chunk(None, delta={"tool_calls": [{"index": 0, "id": "t1", "type": "function",
                                                     "function": {"name": "echo", "arguments": ""}}]})
            for piece in (arguments[:cut], arguments[cut:]):
                yield chunk(None, delta={"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield chunk(None, "tool_calls")
        elif body.get("seed") == -2:
            # The model volunteers another customer's number, in small pieces.
            leak = "您好，请联系张经理，电话13912345678，或者发邮件到 zhang.li@example.com 谢谢。"
            for i in range(0, len(leak), 3):
                yield chunk(leak[i:i + 3])
            yield chunk(None, "stop")
            yield b"data: [DONE]\n\n"
            return
        elif body.get("seed") == -1:
            yield chunk(FIRST_WORDS)
            yield b'data: {"choices": 5}\n\n'
        elif body.get("seed") is not None:
            cut = body["seed"]
            yield chunk(text[:cut])
            await asyncio.sleep(0.01)
            yield chunk(text[cut:])
        elif body["model"] == "break-midway":
            yield chunk(FIRST_WORDS)
            raise ConnectionError("upstream went away")
        else:
            yield chunk(FIRST_WORDS)
            while not self.gate.is_set():
                await asyncio.sleep(0.01)
            yield chunk(text)
        yield chunk(None, "stop")
        yield b"data: [DONE]\n\n"


@pytest.fixture
def scripted(tmp_path: Path, pii_engine) -> Iterator[tuple[Gateway, ScriptedUpstream]]:  # type: ignore[no-untyped-def]
    upstream = ScriptedUpstream()
    server = ServerThread(upstream.app, free_port())
    server.start()

    def add_broken_model(policy_dir: Path) -> None:
        # The sample routing tests pin the sample's upstream model names.
        (policy_dir / "govgate" / "routing" / "routing_test.rego").unlink()
        path = policy_dir / "data" / "deployments.json"
        data = json.loads(path.read_text())
        for deployment in data.values():
            if deployment["alias"] == "demo-chat":
                deployment["model"] = "break-midway"
        path.write_text(json.dumps(data))

    gateway, gateway_server = start_gateway(tmp_path / "a", pii_engine=pii_engine,
                                            upstream_url=f"http://127.0.0.1:{server.port}/v1")
    broken, broken_server = start_gateway(tmp_path / "b", pii_engine=pii_engine, prepare_policy=add_broken_model,
                                          upstream_url=f"http://127.0.0.1:{server.port}/v1")
    gateway.broken = broken  # type: ignore[attr-defined]
    yield gateway, upstream
    upstream.gate.set()
    for s in (gateway_server, broken_server, server):
        s.stop()


def sdk(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, default_headers=SUPPORT_HEADERS,
                         max_retries=0, timeout=20)


def test_first_words_arrive_before_the_upstream_finishes(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = scripted
    stream = sdk(gateway).chat.completions.create(
        model="demo-chat", stream=True, messages=[{"role": "user", "content": "Maria Gonzalez needs a refund."}]
    )
    received = ""
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received += chunk.choices[0].delta.content
            # The upstream is still waiting on the gate: had the gateway buffered the answer,
            # this loop would never get here and the read would time out.
            if received == FIRST_WORDS:
                upstream.gate.set()
    assert upstream.gate.is_set()
    assert received == FIRST_WORDS + "Maria Gonzalez needs a refund."


def test_a_pseudonym_split_at_every_position_is_restored(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, _ = scripted
    message = "Call Maria Gonzalez today."
    client = sdk(gateway)
    # What the upstream echoes is "Call <PERSON_1> today."; split it at every position.
    for cut in range(len("Call <PERSON_1> today.") + 1):
        stream = client.chat.completions.create(model="demo-chat", stream=True, seed=cut,
                                                messages=[{"role": "user", "content": message}])
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == message, cut


def test_a_broken_stream_ends_with_an_error_and_is_recorded(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, _ = scripted
    broken = gateway.broken
    with pytest.raises(openai.APIError) as raised:
        for _ in sdk(broken).chat.completions.create(model="demo-chat", stream=True,
                                                     messages=[{"role": "user", "content": "hello"}]):
            pass
    assert "upstream" in str(raised.value).lower()
    records = broken.services().ledger.list(limit=1)
    assert records[0].status_code == 502 and records[0].error_code == "upstream_stream_broken"


def test_tool_call_arguments_are_restored_even_split_mid_token(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, _ = scripted
    tools = [{"type": "function", "function": {"name": "echo", "parameters": {"type": "object"}}}]
    stream = sdk(gateway).chat.completions.create(
        model="demo-chat", stream=True, tools=tools,
        messages=[{"role": "user", "content": "Ship it to Maria Gonzalez"}])
    arguments = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""
                        for c in stream if c.choices and c.choices[0].delta.tool_calls)
    assert json.loads(arguments) == {"note": "Ship it to Maria Gonzalez"}


def test_a_malformed_upstream_event_ends_the_stream_with_an_error_and_a_record(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, _ = scripted
    with pytest.raises(openai.APIError):
        for _ in sdk(gateway).chat.completions.create(model="demo-chat", stream=True, seed=-1,
                                                      messages=[{"role": "user", "content": "hello"}]):
            pass
    record = gateway.services().ledger.list(limit=1)[0]
    assert (record.status_code, record.error_code) == (502, "upstream_malformed_stream")


def test_a_caller_that_hangs_up_mid_stream_still_leaves_a_record(scripted) -> None:  # type: ignore[no-untyped-def]
    import httpx

    gateway, upstream = scripted
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    body = {"model": "demo-chat", "stream": True, "messages": [{"role": "user", "content": "Maria Gonzalez here"}]}
    with httpx.stream("POST", gateway.base_url + "/chat/completions", json=body, headers=headers) as response:
        decision_id = response.headers["x-decision-id"]
        for line in response.iter_lines():
            if FIRST_WORDS.strip() in line:
                break  # leave while the upstream is still waiting on its gate
    deadline = time.monotonic() + 10
    while (record := gateway.services().ledger.get(decision_id)) is None:
        assert time.monotonic() < deadline, "no record for the abandoned stream"
        time.sleep(0.05)
    assert (record.status_code, record.error_code) == (499, "client_closed_request")
    assert record.route.attempts[0].deployment == "demo-chat-us"


def test_pii_the_model_streams_is_caught_even_in_pieces(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, _ = scripted
    stream = sdk(gateway).chat.completions.create(model="demo-chat", stream=True, seed=-2,
                                                  messages=[{"role": "user", "content": "我的快递呢？"}])
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    text = "".join(pieces)
    assert "13912345678" not in text and "zhang.li@example.com" not in text
    assert "[PHONE_NUMBER]" in text and "[EMAIL_ADDRESS]" in text
    assert text.startswith("您好，") and len(pieces) > 2  # still a stream
    record = gateway.services().ledger.list(limit=1)[0]
    assert {f.entity_type for f in record.findings if f.location.startswith("choices[0]")} >= {
        "PHONE_NUMBER", "EMAIL_ADDRESS"}
