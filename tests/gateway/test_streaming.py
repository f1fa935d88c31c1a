"""Streams stay streams: first tokens pass before the upstream has finished, tokens split
anywhere are restored, and a stream that breaks is reported and recorded. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from gateway.upstream.sse import encode_event
from tests.conftest import SUPPORT_HEADERS, Gateway, ServerThread, start_gateway
from tests.net import free_port

FIRST_WORDS = "Thank you for waiting. "


Scenario = Literal["gated", "split", "malformed_event", "leak", "break_midway", "tool_call_echo"]
# The model volunteers another customer's number and e-mail address.
LEAK = "您好，请联系张经理，电话13912345678，或者发邮件到 zhang.li@example.com 谢谢。"


class ScriptedUpstream:
    """An OpenAI-compatible upstream whose streams the test scripts by name.

    A test sets `scenario` before it calls (each test gets a new upstream, on "gated"):

    - "gated": FIRST_WORDS, then waits until the test opens `gate`, then the echoed last
      user message;
    - "split": the echoed last user message in two chunks, cut at `split_at`;
    - "malformed_event": FIRST_WORDS, then an event whose `choices` is not a list;
    - "leak": LEAK, three characters a chunk;
    - "break_midway": FIRST_WORDS, then the connection drops;
    - "tool_call_echo": a tool call `echo` whose arguments echo the last user message, split
      mid-token.
    """

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.scenario: Scenario = "gated"
        self.split_at = 0
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> StreamingResponse:
            body = await request.json()
            text = body["messages"][-1]["content"]
            return StreamingResponse(self._events(self.scenario, body, text), media_type="text/event-stream")

        self.app = app

    async def _events(self, scenario: Scenario, body: dict, text: str):  # type: ignore[no-untyped-def]
        def chunk(content: str | None, finish: str | None = None, delta: dict | None = None) -> bytes:
            delta = delta if delta is not None else ({} if content is None else {"content": content})
            return encode_event({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        if scenario == "tool_call_echo":
            arguments = json.dumps({"note": text})
            cut = arguments.index("<") + 3
            yield chunk(None, delta={"tool_calls": [{"index": 0, "id": "t1", "type": "function",
                                                     "function": {"name": "echo", "arguments": ""}}]})
            for piece in (arguments[:cut], arguments[cut:]):
                yield chunk(None, delta={"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield chunk(None, "tool_calls")
        elif scenario == "leak":
            for i in range(0, len(LEAK), 3):
                yield chunk(LEAK[i:i + 3])
        elif scenario == "malformed_event":
            yield chunk(FIRST_WORDS)
            yield b'data: {"choices": 5}\n\n'
        elif scenario == "split":
            yield chunk(text[:self.split_at])
            await asyncio.sleep(0.01)
            yield chunk(text[self.split_at:])
        elif scenario == "break_midway":
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
def scripted(tmp_path: Path, pii_engine,  # type: ignore[no-untyped-def]
             database_url: str) -> Iterator[tuple[Gateway, ScriptedUpstream]]:
    """A gateway on each database (every stream ends in a record) in front of a new scripted upstream."""
    upstream = ScriptedUpstream()
    server = ServerThread(upstream.app, free_port())
    server.start()
    gateway, gateway_server = start_gateway(tmp_path, pii_engine=pii_engine, database_url=database_url,
                                            upstream_url=f"http://127.0.0.1:{server.port}/v1")
    yield gateway, upstream
    upstream.gate.set()
    for s in (gateway_server, server):
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
    gateway, upstream = scripted
    upstream.scenario = "split"
    message = "Call Maria Gonzalez today."
    client = sdk(gateway)
    # What the upstream echoes is "Call <PERSON_1> today."; split it at every position.
    for cut in range(len("Call <PERSON_1> today.") + 1):
        upstream.split_at = cut
        stream = client.chat.completions.create(model="demo-chat", stream=True,
                                                messages=[{"role": "user", "content": message}])
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == message, cut


def test_a_broken_stream_ends_with_an_error_and_is_recorded(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = scripted
    upstream.scenario = "break_midway"
    with pytest.raises(openai.APIError) as raised:
        for _ in sdk(gateway).chat.completions.create(model="demo-chat", stream=True,
                                                     messages=[{"role": "user", "content": "hello"}]):
            pass
    assert "upstream" in str(raised.value).lower()
    records = gateway.services().decision_log.page(limit=1)
    assert records[0].status_code == 502 and records[0].error_code == "upstream_stream_broken"


def test_tool_call_arguments_are_restored_even_split_mid_token(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = scripted
    upstream.scenario = "tool_call_echo"
    tools = [{"type": "function", "function": {"name": "echo", "parameters": {"type": "object"}}}]
    stream = sdk(gateway).chat.completions.create(
        model="demo-chat", stream=True, tools=tools,
        messages=[{"role": "user", "content": "Ship it to Maria Gonzalez"}])
    arguments = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""
                        for c in stream if c.choices and c.choices[0].delta.tool_calls)
    assert json.loads(arguments) == {"note": "Ship it to Maria Gonzalez"}


def test_a_malformed_upstream_event_ends_the_stream_with_an_error_and_a_record(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = scripted
    upstream.scenario = "malformed_event"
    with pytest.raises(openai.APIError):
        for _ in sdk(gateway).chat.completions.create(model="demo-chat", stream=True,
                                                      messages=[{"role": "user", "content": "hello"}]):
            pass
    record = gateway.services().decision_log.page(limit=1)[0]
    assert (record.status_code, record.error_code) == (502, "upstream_malformed_stream")


def test_a_caller_that_hangs_up_mid_stream_still_leaves_a_record(scripted) -> None:  # type: ignore[no-untyped-def]
    import httpx

    gateway, _ = scripted  # the "gated" scenario: the upstream waits after its first words
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    body = {"model": "demo-chat", "stream": True, "messages": [{"role": "user", "content": "Maria Gonzalez here"}]}
    with httpx.stream("POST", gateway.base_url + "/chat/completions", json=body, headers=headers) as response:
        decision_id = response.headers["x-decision-id"]
        for line in response.iter_lines():
            if FIRST_WORDS.strip() in line:
                break  # leave while the upstream is still waiting on its gate
    deadline = time.monotonic() + 10
    while (record := gateway.services().decision_log.get(decision_id)) is None:
        assert time.monotonic() < deadline, "no record for the abandoned stream"
        time.sleep(0.05)
    assert (record.status_code, record.error_code) == (499, "client_closed_request")
    assert record.route.attempts[0].deployment == "demo-chat-us"


def test_pii_the_model_streams_is_caught_even_in_pieces(scripted) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = scripted
    upstream.scenario = "leak"
    stream = sdk(gateway).chat.completions.create(model="demo-chat", stream=True,
                                                  messages=[{"role": "user", "content": "我的快递呢？"}])
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    text = "".join(pieces)
    assert "13912345678" not in text and "zhang.li@example.com" not in text
    assert "[PHONE_NUMBER]" in text and "[EMAIL_ADDRESS]" in text
    assert text.startswith("您好，") and len(pieces) > 2  # still a stream
    record = gateway.services().decision_log.page(limit=1)[0]
    assert {f.entity_type for f in record.findings if f.location.startswith("choices[0]")} >= {
        "PHONE_NUMBER", "EMAIL_ADDRESS"}
