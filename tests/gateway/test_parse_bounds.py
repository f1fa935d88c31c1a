"""Odd but valid-looking JSON bodies: each is a clear 400 (or 413), recorded, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import Gateway, start_gateway
from tests.gateway.test_errors import assert_error, post, recorded

BASE = '{"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}]'


def with_field(field: str, raw: str) -> bytes:
    return f'{BASE}, "{field}": {raw}}}'.encode()


CASES = {
    "temperature-nan": with_field("temperature", "NaN"),
    "top_p-inf": with_field("top_p", "Infinity"),
    "temperature-1e999": with_field("temperature", "1e999"),
    "tools-nan": with_field("tools", '[{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "minimum": NaN}}}]'),
    "logit_bias-inf": with_field("logit_bias", '{"50256": -Infinity}'),
    "response_format-1e999": with_field("response_format", '{"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "number", "maximum": 1e999}}}'),
    "stream_options-nan": with_field("stream_options", '{"include_usage": NaN}'),
    "stop-surrogate": with_field("stop", '"\\ud800"'),
    "tools-surrogate": with_field("tools", '[{"type": "function", "function": {"name": "f", "description": "\\udc00"}}]'),
    "tool_choice-surrogate": with_field("tool_choice", '"\\ud83d"'),
    "service_tier-surrogate": with_field("service_tier", '"\\udfff"'),
    "logit_bias-surrogate-key": with_field("logit_bias", '{"\\ud800": 1}'),
    "seed-5000-digits": with_field("seed", "9" * 5000),
    "tools-600-deep": with_field("tools", '[{"type": "function", "function": {"name": "f", "parameters": '
                                  + '{"a": ' * 600 + "1" + "}" * 600 + "}}]"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_odd_json_is_a_recorded_400(gateway: Gateway, name: str) -> None:
    response = post(gateway, CASES[name])
    assert_error(response, 400, "invalid_request_error")
    assert recorded(gateway, response)["status_code"] == 400
    assert gateway.received() == []


@pytest.mark.parametrize("path", ["/chat/completions", "/embeddings", "/pii/redact", "/pii/analyze"])
@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_deep_nesting_is_a_400_on_every_route(gateway: Gateway, path: str, raw: bytes) -> None:
    response = post(gateway, raw, path=path)
    assert_error(response, 400, "invalid_request_error")


# --- bounded work per request (item 14) -----------------------------------------------------

PII_MESSAGE = {"role": "user", "content": "I am Maria Gonzalez, maria.gonzalez@example.com, +1 415 555 0134."}


def test_too_many_messages_is_a_recorded_413_before_any_scan(gateway: Gateway) -> None:
    response = post(gateway, {"model": "demo-chat", "messages": [PII_MESSAGE] * 1024})
    assert_error(response, 413, "invalid_request_error", "too_many_messages")
    record = recorded(gateway, response)
    assert record["status_code"] == 413 and record["findings"] == []  # refused before detection ran
    assert gateway.received() == []


@pytest.fixture
def small_budget(tmp_path, pii_engine, upstream):  # type: ignore[no-untyped-def]
    gw, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, max_scan_chars=2000,
                               max_messages=8)
    gw.clear_received()
    yield gw
    server.stop()


def test_the_scan_budget_counts_every_text_of_a_request(small_budget: Gateway) -> None:
    gateway = small_budget
    tool = {"type": "function", "function": {"name": "lookup", "description": "d" * 1500,
                                             "parameters": {"type": "object", "properties": {
                                                 "x": {"type": "string", "enum": ["e" * 200]}}}}}
    under = {"model": "demo-chat", "messages": [{"role": "user", "content": "m" * 250}], "tools": [tool]}
    assert post(gateway, under).status_code == 200
    over = {**under, "messages": [{"role": "user", "content": "m" * 300}]}
    response = post(gateway, over)
    assert_error(response, 413, "invalid_request_error", "scan_budget_exceeded")
    assert recorded(gateway, response)["status_code"] == 413
    assert_error(post(gateway, {"model": "demo-chat", "messages": [PII_MESSAGE] * 9}), 413,
                 "invalid_request_error", "too_many_messages")
    assert_error(post(gateway, {"model": "demo-embed", "input": ["x" * 100] * 21}, path="/embeddings"), 413,
                 "invalid_request_error", "scan_budget_exceeded")
    assert len(gateway.received()) == 1
