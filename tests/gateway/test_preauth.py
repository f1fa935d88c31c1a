"""Anonymous callers: a limit per client address before authentication, and floods recorded
as aggregates (a few rows a minute per address, not one row each).

Before: every anonymous 401 wrote its own ledger row, with no limit.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.anonymous import MANY_ADDRESSES, AnonymousRefusals
from gateway.errors import RateLimited
from gateway.ratelimit import RateLimiter
from gateway.store.db import make_engine
from gateway.store.decision_log import DecisionLog
from tests.conftest import SUPPORT_HEADERS, start_gateway

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]}


def test_a_flood_of_bad_keys_is_limited_and_recorded_as_aggregates(tmp_path: Path, pii_engine,  # type: ignore[no-untyped-def]
                                                                    upstream: str, database_url: str) -> None:
    """On SQLite and PostgreSQL: every refusal is in exactly one row, its own or an aggregate's."""
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url,
                                    preauth_failures_per_minute=5, anonymous_records_per_minute=3)
    good = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    try:
        assert httpx.post(gateway.base_url + "/chat/completions", json=CHAT, headers=good).status_code == 200
        flood = []
        for i in range(12):
            # Missing, malformed and made-up keys, on several governed routes.
            bad = [{}, {"authorization": "Basic abc"}, {"authorization": f"Bearer gg_x_{i}"}][i % 3]
            path = ["/chat/completions", "/embeddings", "/pii/analyze"][i % 3]
            flood.append(httpx.post(gateway.base_url + path, json=CHAT, headers=bad))
        statuses = [r.status_code for r in flood]
        assert statuses == [401] * 5 + [429] * 7
        for response in flood:
            error = response.json()["error"]
            assert response.headers["x-decision-id"] == error["decision_id"]
        limited = flood[-1]
        assert limited.json()["error"]["code"] == "preauth_rate_limited" and int(limited.headers["retry-after"]) >= 1
        # A caller whose key the gateway already knows is never held up by its neighbours.
        assert httpx.post(gateway.base_url + "/chat/completions", json=CHAT, headers=good).status_code == 200
        database_url = gateway.settings.effective_database_url
    finally:
        server.stop()  # shutdown writes the open aggregates
    engine = make_engine(database_url)
    try:
        log = DecisionLog(engine)
        records = {r.decision_id: r for r in log.page(limit=500)}
        assert log.verify().ok
    finally:
        engine.dispose()
    anonymous = [r for r in records.values() if r.caller is None]
    individual = [r for r in anonymous if r.aggregate is None]
    aggregates = {r.status_code: r for r in anonymous if r.aggregate is not None}
    # 3 recorded one by one, then one aggregate per status: 5 rows for 12 refusals.
    assert len(individual) == 3 and len(anonymous) == 5
    assert aggregates[401].aggregate.count == 2 and aggregates[429].aggregate.count == 7
    assert len(individual) + sum(r.aggregate.count for r in aggregates.values()) == len(flood)
    assert aggregates[429].error_code == "preauth_rate_limited" and aggregates[429].kind == "aggregate"
    assert sum(aggregates[429].aggregate.kinds.values()) == 7
    # Every response's id is in the ledger; a folded one names its aggregate.
    for response in flood:
        assert response.headers["x-decision-id"] in records
    assert {flood[i].headers["x-decision-id"] for i in range(3)} == {r.decision_id for r in individual}
    # One address, one keyed pseudonym; never the address itself.
    clients = {r.client_pseudonym for r in anonymous}
    assert len(clients) == 1 and "127.0.0.1" not in str(clients) and len(next(iter(clients))) == 64


def test_failures_on_the_read_apis_count_too(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream,
                                    preauth_failures_per_minute=2)
    try:
        statuses = [httpx.get(gateway.base_url + "/decisions", headers={"authorization": "Bearer gg_nope"}).status_code
                    for _ in range(3)]
        assert statuses == [401, 401, 429]
        assert httpx.get(gateway.url + "/healthz").status_code == 200
    finally:
        server.stop()


# --- the parts, with a clock of our own ---------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refusals_are_individual_then_counted_per_window() -> None:
    clock = Clock()
    refusals = AnonymousRefusals(individual=2, window_s=60, clock=clock)
    fold = lambda client, status=401: refusals.fold(client, kind="chat", status_code=status,  # noqa: E731
                                                   error_code="invalid_api_key")
    assert fold("a") is None and fold("a") is None
    first = fold("a")
    assert first is not None and fold("a") == first and fold("a", 429) not in (None, first)
    assert fold("b") is None  # another address has its own allowance
    assert refusals.due() == []  # the window is still open
    clock.now += 61
    due = refusals.due()
    assert sorted((r.status_code, r.aggregate.count) for r in due) == [(401, 2), (429, 1)]
    assert {r.decision_id for r in due} >= {first}
    assert refusals.due() == []  # each aggregate is handed out once
    assert fold("a") is None  # a new window, a new allowance


def test_many_addresses_at_once_are_counted_together() -> None:
    refusals = AnonymousRefusals(individual=1, all_addresses_max=3, clock=Clock())
    outcomes = [refusals.fold(f"client-{i}", kind="models", status_code=401, error_code="invalid_api_key")
                for i in range(10)]
    assert outcomes[:3] == [None] * 3 and len(set(outcomes[3:])) == 1
    (aggregate,) = refusals.drain()
    assert aggregate.aggregate.client == MANY_ADDRESSES and aggregate.aggregate.count == 7


@settings(max_examples=50, deadline=None)
@given(events=st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from([401, 429]),
                                 st.floats(min_value=0, max_value=200)), max_size=60))
def test_every_refusal_is_counted_exactly_once(events: list[tuple[str, int, float]]) -> None:
    clock = Clock()
    refusals = AnonymousRefusals(individual=2, window_s=60, all_addresses_max=7, clock=clock)
    individual, records = 0, []
    for client, status, step in events:
        clock.now += step
        records += refusals.due()
        if refusals.fold(client, kind="chat", status_code=status, error_code=str(status)) is None:
            individual += 1
    records += refusals.drain()
    assert individual + sum(r.aggregate.count for r in records) == len(events)
    assert len({r.decision_id for r in records}) == len(records)


def test_the_rate_limiter_allows_a_minute_of_requests_then_refuses() -> None:
    limiter = RateLimiter(3)
    for _ in range(3):
        limiter.check("bot")
    with pytest.raises(RateLimited) as raised:
        limiter.check("bot")
    assert 0 < raised.value.extra["retry_after_s"] <= 60
    limiter.check("another-bot")
