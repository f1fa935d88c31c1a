"""Arbitrary JSON-ish bodies never get a 5xx (issue 9, item 8): a property-based test.

Hypothesis builds chat, embeddings and redact bodies from a valid one with fields replaced by
odd values: non-finite and huge numbers, 5,000-digit integers, lone surrogates (escaped, in
keys too), deep nesting, unknown fields, wrong types. Every answer is a 200 or an
OpenAI-style 4xx with a decision id; never a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.openai_types import ChatRequest, ChatMessage
from tests.conftest import SUPPORT_HEADERS, Gateway, module_gateway

# Written into the JSON text in place of their placeholder strings: no Python value serialises so.
RAW_TOKENS = {
    "@@1e999@@": "1e999", "@@-1e999@@": "-1e999", "@@digits@@": "9" * 5000, "@@deep-list@@": "[" * 700 + "]" * 700,
    "@@deep-object@@": '{"a":' * 300 + "1" + "}" * 300, "@@surrogate@@": '"\\udc00"', "@@pair@@": '"\\ud83d\\ude00"',
}
FIELDS = sorted(set(ChatRequest.model_fields) | {"schema", "json_schema", "function", "parameters", "properties",
                                                 "enum", "type", "name", "description", "include_usage"})
MESSAGE_FIELDS = sorted(ChatMessage.model_fields)

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(sorted(RAW_TOKENS)), st.sampled_from(["\ud800", "a\udfffb", "function", "json_schema", "auto"]),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=8), st.just("\ud800"))
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                      max_leaves=12)


def serialise(body: object) -> bytes:
    text = json.dumps(body, allow_nan=True)  # NaN, Infinity; lone surrogates as \\ud800 escapes
    for placeholder, raw in RAW_TOKENS.items():
        text = text.replace(json.dumps(placeholder), raw)
    return text.encode()


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    route = draw(st.sampled_from(["/chat/completions", "/chat/completions", "/embeddings", "/pii/redact"]))
    if route == "/embeddings":
        body: dict = {"model": "demo-embed", "input": "parcel"}
    elif route == "/pii/redact":
        body = {"text": "call me"}
    else:
        body = {"model": "demo-chat", "messages": [{"role": "user", "content": "Where is my parcel?"}]}
        message = body["messages"][0]
        for name in draw(st.lists(st.sampled_from(MESSAGE_FIELDS), max_size=2)):
            message[name] = draw(values)
    for name in draw(st.lists(keys, min_size=1, max_size=3)):
        body[name] = draw(values)
    return route, serialise(body)


@pytest.fixture(scope="module")
def fuzz_gateway(tmp_path_factory: pytest.TempPathFactory, pii_engine, upstream: str) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    yield from module_gateway(tmp_path_factory, "fuzz", pii_engine=pii_engine, upstream=upstream)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=bodies())
def test_odd_bodies_never_get_a_5xx(fuzz_gateway: Gateway, case: tuple[str, bytes]) -> None:
    route, raw = case
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {fuzz_gateway.bot_key}", "content-type": "application/json"}
    response = httpx.post(fuzz_gateway.base_url + route, content=raw, headers=headers, timeout=30)
    assert response.status_code < 500, (raw[:300], response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["type"] and error["message"] and "Traceback" not in response.text
        assert error["decision_id"] == response.headers["x-decision-id"]
