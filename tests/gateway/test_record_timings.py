"""The record's clocks mean what docs/decision-record.md says.

A plain call's `upstream_ttft` is the upstream's first byte (its headers), not the whole
attempt; the gateway's work on the answer is not upstream time; the client clocks run from
arrival to the caller's first and last body byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.decision import DecisionRecord
from tests.conftest import SUPPORT_HEADERS, Gateway
from tests.gateway.hostile_upstream import HostileUpstream, chunk, hostile_gateway

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "Where is my parcel?"}]}
DELAY_S = 0.4


@pytest.fixture
def hostile(tmp_path: Path, pii_engine) -> Iterator[tuple[Gateway, HostileUpstream]]:  # type: ignore[no-untyped-def]
    yield from hostile_gateway(tmp_path, pii_engine)


def post(gateway: Gateway, body: dict) -> httpx.Response:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    return httpx.post(gateway.base_url + "/chat/completions", json=body, headers=headers, timeout=30)


def record_of(gateway: Gateway, response: httpx.Response) -> DecisionRecord:
    assert response.status_code == 200, response.text
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    assert record is not None
    return record


def assert_ordered(record: DecisionRecord) -> None:
    t = record.timings
    assert t.upstream_ttft is not None and t.upstream_total is not None and t.answer is not None
    assert 0 <= t.upstream_ttft <= t.upstream_total <= t.total
    assert t.client_ttfb is not None and t.client_total is not None
    assert 0 < t.client_ttfb <= t.client_total <= t.total
    assert t.pii + t.policy + t.answer <= t.overhead + 1  # the gateway's own parts fit in its overhead
    assert abs(t.overhead - (t.total - t.upstream_total)) < 0.01
    assert sum(a.duration_ms for a in record.route.attempts) == pytest.approx(t.upstream_total, abs=0.01)


def test_a_plain_answers_first_byte_is_its_headers_not_its_body(hostile: tuple[Gateway, HostileUpstream]) -> None:
    gateway, upstream = hostile
    upstream.body_delay_s = DELAY_S
    record = record_of(gateway, post(gateway, CHAT))
    assert_ordered(record)
    attempt = record.route.attempts[-1]
    assert attempt.outcome == "ok" and attempt.duration_ms >= DELAY_S * 1000
    # The headers came at once; the body DELAY_S later.
    assert record.timings.upstream_ttft < attempt.duration_ms - DELAY_S * 1000 * 0.8
    # A whole answer reaches the caller at once: its first byte is its last.
    assert record.timings.client_ttfb == record.timings.client_total


def test_without_a_delay_the_plain_clocks_still_hold(hostile: tuple[Gateway, HostileUpstream]) -> None:
    gateway, _ = hostile
    record = record_of(gateway, post(gateway, CHAT))
    assert_ordered(record)
    assert record.features.answer_chars == len("OK.")


def test_a_stream_counts_its_first_event_and_its_last_chunk(hostile: tuple[Gateway, HostileUpstream]) -> None:
    gateway, upstream = hostile
    upstream.events = [chunk({"role": "assistant", "content": ""}), chunk({"content": "Your parcel "}),
                       chunk({"content": "is in Lyon."}), chunk({}, finish="stop")]
    response = post(gateway, {**CHAT, "stream": True})
    record = record_of(gateway, response)
    assert_ordered(record)
    assert record.stage == "completed" and record.streamed
    text = "".join(choice["delta"].get("content") or ""
                   for line in response.text.splitlines() if line.startswith("data: {")
                   for choice in json.loads(line[6:])["choices"])
    assert text == "Your parcel is in Lyon." and record.features.answer_chars == len(text)
    assert record.timings.client_ttfb < record.timings.client_total
