"""Every answer field the caller receives is scanned, or dropped (issue 9, item 2).

A scripted upstream plays a model that writes data nobody sent (another customer's e-mail
and phone) into every field it can: reasoning, audio transcripts, citations, tool names
and ids, unknown fields, usage. The answer is rebuilt from known fields, and each text the
caller receives passes the answer guard.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import SUPPORT_HEADERS, Gateway
from tests.gateway.hostile_upstream import PLAIN_ANSWER, HostileUpstream, chunk, hostile_gateway

EMAIL, PHONE, CN_PHONE = "bob.miller@example.com", "+1 415 555 0199", "13912345678"
# As a model might write one into a name: `notify_415-555-0199`.
DASHED = "415-555-0199"
LEAKS = (EMAIL, "bob.miller", PHONE, "415 555 0199", CN_PHONE, "0199")
ASK = {"model": "demo-chat", "messages": [{"role": "user", "content": "Where is my parcel?"}]}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, pii_engine) -> Iterator[tuple[Gateway, HostileUpstream]]:  # type: ignore[no-untyped-def]
    yield from hostile_gateway(Path(tmp_path_factory.mktemp("hostile")), pii_engine)


def sdk(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, default_headers=SUPPORT_HEADERS,
                         max_retries=0, timeout=20)


def chat(gateway: Gateway, body: dict) -> httpx.Response:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    return httpx.post(gateway.base_url + "/chat/completions", json=body, headers=headers, timeout=30)


def assert_no_leak(text: str) -> None:
    for value in LEAKS:
        assert value not in text, value


HOSTILE_ANSWER = {
    "id": f"chatcmpl-{CN_PHONE}",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-x",
    "system_fingerprint": f"fp_{CN_PHONE}",
    "debug": {"contact": EMAIL},
    "service_tier": EMAIL,
    "choices": [{
        "index": 0,
        "finish_reason": "tool_calls",
        "logprobs": {"content": [{"token": EMAIL, "logprob": -0.1}]},
        "message": {
            "role": "assistant",
            "content": "Your parcel is in Lyon.",
            "reasoning_content": f"Bob's e-mail is {EMAIL}, his phone {PHONE}.",
            "audio": {"id": f"audio_{CN_PHONE}", "data": "UklGRg==", "expires_at": 1,
                      "transcript": f"Call {PHONE} today."},
            "annotations": [
                {"type": "url_citation", "url_citation": {"start_index": 0, "end_index": 4,
                                                          "title": f"Profile of {EMAIL}",
                                                          "url": f"https://crm.example.com/?m={EMAIL}"}},
                {"type": "file_citation", "file_citation": {"quote": EMAIL}},
            ],
            "tool_calls": [{"id": f"call_{CN_PHONE}", "type": "function", "extra": EMAIL,
                            "function": {"name": f"notify_{DASHED}", "arguments": json.dumps({"to": EMAIL})}}],
            "function_call": {"name": "lookup", "arguments": json.dumps({"phone": PHONE})},
            "secret": EMAIL,
        },
    }],
    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12, "note": EMAIL,
              "completion_tokens_details": {"reasoning_tokens": 3, "who": EMAIL, "audio_tokens": CN_PHONE},
              "prompt_tokens_details": {"cached_tokens": True}},
}


def test_every_field_of_an_answer_is_scanned_or_dropped(hostile) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = hostile
    upstream.answer = HOSTILE_ANSWER
    response = chat(gateway, ASK)
    assert response.status_code == 200, response.text
    assert_no_leak(response.text)
    answer = response.json()
    assert set(answer) == {"id", "object", "created", "model", "choices", "usage"}
    assert answer["id"] == "chatcmpl-" + response.headers["x-decision-id"].removeprefix("dec_")
    assert answer["usage"] == {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12,
                               "completion_tokens_details": {"reasoning_tokens": 3}}
    choice = answer["choices"][0]
    assert set(choice) == {"index", "message", "finish_reason"}
    message = choice["message"]
    assert set(message) == {"role", "content", "reasoning_content", "audio", "annotations", "tool_calls",
                            "function_call"}
    assert message["reasoning_content"] == "Bob's e-mail is [EMAIL_ADDRESS], his phone [PHONE_NUMBER]."
    assert message["audio"] == {"transcript": "Call [PHONE_NUMBER] today."}
    [citation] = message["annotations"]
    assert citation["type"] == "url_citation" and "[EMAIL_ADDRESS]" in citation["url_citation"]["url"]
    assert {k: v for k, v in citation["url_citation"].items() if k != "url"} == {
        "start_index": 0, "end_index": 4, "title": "Profile of [EMAIL_ADDRESS]"}
    call = message["tool_calls"][0]
    assert set(call) == {"id", "type", "function"} and call["id"].startswith("call_")
    assert "[PHONE_NUMBER]" in call["function"]["name"]
    assert json.loads(call["function"]["arguments"]) == {"to": "[EMAIL_ADDRESS]"}
    assert json.loads(message["function_call"]["arguments"]) == {"phone": "[PHONE_NUMBER]"}
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    assert {f.location for f in record.findings} >= {
        "choices[0].message.reasoning_content", "choices[0].message.audio.transcript",
        "choices[0].message.annotations[0].url_citation.title", "choices[0].message.tool_calls[0].function.name",
        "choices[0].message.tool_calls[0].id"}
    assert_no_leak(record.model_dump_json())
    # The SDK still reads the rebuilt answer.
    completion = sdk(gateway).chat.completions.create(**ASK)
    assert completion.choices[0].message.tool_calls[0].function.name.startswith("notify")


def test_a_clean_answer_keeps_its_shape(hostile) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = hostile
    upstream.answer = {**PLAIN_ANSWER, "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "tool_calls": [{"id": "call_abc123", "type": "function", "function": {
            "name": "get_weather", "arguments": '{"city": "Paris"}'}}]}}]}
    completion = sdk(gateway).chat.completions.create(**ASK)
    call = completion.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == ("call_abc123", "get_weather", '{"city": "Paris"}')
    assert completion.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("answer", [
    {"choices": [{"index": 0, "message": {"content": [{"type": "text", "text": EMAIL}]}}]},
    {"choices": [{"index": 0, "message": {"content": "hi", "tool_calls": [{"function": {"name": 5}}]}}]},
    {"choices": "many"},
    b'{"choices": [{"index": 0, "message": {"content": "\\ud800"}}]}',
])
def test_an_answer_of_the_wrong_shape_is_a_502_without_echo(hostile, answer) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = hostile
    upstream.answer = answer
    response = chat(gateway, ASK)
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_malformed"
    assert_no_leak(response.text)


def test_embeddings_answers_carry_vectors_and_counters_only(hostile) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = hostile
    upstream.embeddings = {"object": "list", "model": "e", "debug": EMAIL,
                           "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.5], "text": EMAIL}],
                           "usage": {"prompt_tokens": 2, "total_tokens": 2, "who": EMAIL}}
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    response = httpx.post(gateway.base_url + "/embeddings", json={"model": "demo-embed", "input": "parcel"},
                          headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert_no_leak(response.text)
    assert response.json() == {"object": "list", "model": "demo-embed", "usage": {"prompt_tokens": 2, "total_tokens": 2},
                               "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.5]}]}


# --- streams ------------------------------------------------------------------------------


def stream_raw(gateway: Gateway, body: dict) -> tuple[str, list[dict]]:
    """The raw SSE text the caller received and its events (the final [DONE] left out)."""
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    with httpx.stream("POST", gateway.base_url + "/chat/completions", json={**body, "stream": True},
                      headers=headers, timeout=30) as response:
        assert response.status_code == 200
        text = response.read().decode()
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
    return text, events


def pieces(text: str, size: int = 3) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def test_every_field_of_a_stream_is_scanned_or_dropped(hostile) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = hostile
    reasoning = f"Bob is at {EMAIL}, phone {PHONE}. "
    arguments = json.dumps({"phone": PHONE})
    upstream.events = [
        chunk({"role": "assistant", "content": "", "secret": EMAIL}, system_fingerprint=f"fp_{CN_PHONE}",
              debug=EMAIL),
        *[chunk({"reasoning_content": piece}) for piece in pieces(reasoning)],
        *[chunk({"audio": {"id": "a1", "data": "UklGRg==", "transcript": piece}}) for piece in pieces(f"Dial {PHONE}.")],
        chunk({"function_call": {"name": "lookup", "arguments": ""}}),
        *[chunk({"function_call": {"arguments": piece}}) for piece in pieces(arguments)],
        chunk({"annotations": [{"type": "url_citation", "url_citation": {"title": EMAIL, "url": "https://x.test/"}}]}),
        {**chunk({"content": "ok"}), "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": None,
                                                  "logprobs": {"content": [{"token": EMAIL}]}}]},
        chunk({}, "stop"),
        {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [],
         "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "who": EMAIL}},
    ]
    text, events = stream_raw(gateway, ASK)
    assert_no_leak(text)
    deltas = [e["choices"][0]["delta"] for e in events if e["choices"]]
    joined = lambda key: "".join(d.get(key) or "" for d in deltas)  # noqa: E731
    assert joined("reasoning_content") == "Bob is at [EMAIL_ADDRESS], phone [PHONE_NUMBER]. "
    assert "".join(d["audio"]["transcript"] for d in deltas if "audio" in d) == "Dial [PHONE_NUMBER]."
    assert all(set(d["audio"]) == {"transcript"} for d in deltas if "audio" in d)
    assert json.loads("".join(d["function_call"].get("arguments", "") for d in deltas if "function_call" in d)) == {
        "phone": "[PHONE_NUMBER]"}
    assert [d["annotations"] for d in deltas if "annotations" in d] == [
        [{"type": "url_citation", "url_citation": {"title": "[EMAIL_ADDRESS]", "url": "https://x.test/"}}]]
    assert all(set(e) <= {"id", "object", "created", "model", "choices", "usage"} for e in events)
    assert all(set(e["choices"][0]) == {"index", "delta", "finish_reason"} for e in events if e["choices"])
    assert events[-1]["usage"] == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    assert len({e["id"] for e in events}) == 1


def test_a_tool_name_split_across_chunks_is_scanned_whole(hostile) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = hostile
    upstream.events = [
        chunk({"role": "assistant", "content": None}),
        # The phone number is split between two pieces of the name; the id arrives in pieces too.
        chunk({"tool_calls": [{"index": 0, "id": "call_", "type": "function",
                               "function": {"name": "notify_415-5", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "id": "abc", "function": {"name": "55-0199"}}]}),
        *[chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}) for piece in pieces('{"a": 1}')],
        chunk({"tool_calls": [{"index": 1, "id": "call_def", "type": "function",
                               "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}),
        chunk({}, "tool_calls"),
    ]
    text, events = stream_raw(gateway, ASK)
    assert_no_leak(text)
    entries = [c for e in events if e["choices"] for c in e["choices"][0]["delta"].get("tool_calls", [])]
    first = {}
    for entry in entries:  # each tool call's first piece carries its id, type and name (clients need them)
        first.setdefault(entry["index"], entry)
    assert {"id", "type"} <= set(first[0]) and "name" in first[0]["function"]
    assert first[0]["id"] == "call_abc" and "[PHONE_NUMBER]" in first[0]["function"]["name"]
    assert (first[1]["id"], first[1]["function"]["name"]) == ("call_def", "get_weather")
    arguments = {i: "".join(e["function"].get("arguments", "") for e in entries if e["index"] == i) for i in (0, 1)}
    assert json.loads(arguments[0]) == {"a": 1} and json.loads(arguments[1]) == {"city": "Paris"}
    # The SDK accumulates the same calls.
    calls: dict[int, dict] = {}
    for piece in sdk(gateway).chat.completions.create(**ASK, stream=True):
        for call in (piece.choices[0].delta.tool_calls or []) if piece.choices else []:
            slot = calls.setdefault(call.index, {"name": "", "arguments": ""})
            slot["name"] += call.function.name or ""
            slot["arguments"] += call.function.arguments or ""
    assert calls[1] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert "0199" not in calls[0]["name"]


def test_a_stream_without_finish_still_releases_held_tool_calls(hostile) -> None:  # type: ignore[no-untyped-def]
    gateway, upstream = hostile
    upstream.events = [chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                              "function": {"name": "get_weather", "arguments": ""}}]})]
    _, events = stream_raw(gateway, ASK)
    entries = [c for e in events if e["choices"] for c in e["choices"][0]["delta"].get("tool_calls", [])]
    assert entries == [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather",
                                                                                   "arguments": ""}}]
