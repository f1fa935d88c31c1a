"""Another connection holds the database's write lock: the event loop keeps serving, writes
wait at most the busy timeout, and a request whose record cannot be written gets 503
`ledger_unavailable`, never a decision id the ledger does not have.

Before: with another process holding `BEGIN IMMEDIATE` on SQLite, /healthz waited ~29 s (the
batch committed on the event loop) and a denied request answered 403 with an unrecorded id.
The lock is held by a real second process (SQLite) or connection (PostgreSQL).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from gateway.auth import Authenticator
from gateway.store.keys import KeyStore
from tests.conftest import SUPPORT_HEADERS, Gateway, start_gateway

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "Hello, I am Maria Gonzalez."}]}
# Only a hang detector: no assertion here is about speed.
HANG_S = 20.0

SQLITE_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


@contextmanager
def write_lock_held(gateway: Gateway) -> Iterator[None]:
    """The database's write lock (SQLite) or the chain head's row lock (PostgreSQL), held
    by someone else until the block ends."""
    url = gateway.settings.effective_database_url
    if url.startswith("sqlite"):
        holder = subprocess.Popen([sys.executable, "-c", SQLITE_HOLDER, url.removeprefix("sqlite:///")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            yield
        finally:
            holder.communicate("release\n", timeout=HANG_S)
        return
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute("SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE")
        yield
        connection.rollback()


def chat(gateway: Gateway, *, key: str | None = None) -> httpx.Response:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {key or gateway.bot_key}"}
    return httpx.post(gateway.base_url + "/chat/completions", json=CHAT, headers=headers, timeout=HANG_S * 3)


@pytest.fixture
def patient_gateway(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """A gateway whose writes wait long for a lock: longer than any assertion waits."""
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream,
                                    database_url=database_url, database_busy_timeout_s=HANG_S * 2)
    yield gateway
    server.stop()


@pytest.fixture
def impatient_gateway(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream,
                                    database_url=database_url, database_busy_timeout_s=0.3)
    gateway.clear_received()
    yield gateway
    server.stop()


def test_the_event_loop_serves_while_a_write_waits_for_the_lock(patient_gateway: Gateway) -> None:
    gateway = patient_gateway
    denied: list[httpx.Response] = []
    with write_lock_held(gateway):
        waiting = threading.Thread(target=lambda: denied.append(chat(gateway, key=gateway.officer_key)))
        waiting.start()
        # The denied request's record waits for the lock (for up to 40 s); meanwhile the
        # gateway answers: the wait is in the ledger's thread, not on the event loop.
        assert httpx.get(gateway.url + "/healthz", timeout=HANG_S).status_code == 200
        assert httpx.get(gateway.url + "/readyz", timeout=HANG_S).status_code == 200
        assert waiting.is_alive(), "the denied request should still be waiting for its record"
    waiting.join(timeout=HANG_S)
    # Once the lock is released the record commits, and only then does the caller get its id.
    response = denied[0]
    assert response.status_code == 403
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    assert record is not None and record.status_code == 403


def test_a_record_that_cannot_be_written_is_a_503_without_a_decision_id(impatient_gateway: Gateway) -> None:
    gateway = impatient_gateway
    log = gateway.services().decision_log
    before = len(log.page(limit=500))
    with write_lock_held(gateway):
        denied = chat(gateway, key=gateway.officer_key)  # a 403 whose record cannot be written
        allowed = chat(gateway)  # the ledger is now known to be unavailable: nothing goes upstream
        ready = httpx.get(gateway.url + "/readyz", timeout=HANG_S)
    for response in (denied, allowed):
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "ledger_unavailable" and error["type"] == "service_unavailable"
        assert "x-decision-id" not in response.headers and "decision_id" not in error
        assert "Maria" not in response.text
    assert gateway.received() == []
    assert ready.status_code == 503 and ready.json()["checks"]["ledger"] == {"ok": False}
    assert len(log.page(limit=500)) == before
    # The lock is gone: the first request's refusal record heals the ledger, then all serve.
    chat(gateway)
    served = chat(gateway)
    assert served.status_code == 200
    assert log.get(served.headers["x-decision-id"]) is not None
    assert log.verify().ok


def test_a_streamed_request_is_refused_before_streaming_while_the_ledger_is_down(impatient_gateway: Gateway) -> None:
    gateway = impatient_gateway
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    with write_lock_held(gateway):
        chat(gateway, key=gateway.officer_key)  # discovers the ledger is unavailable
        response = httpx.post(gateway.base_url + "/chat/completions", json={**CHAT, "stream": True},
                              headers=headers, timeout=HANG_S)
    assert response.status_code == 503 and "x-decision-id" not in response.headers
    assert response.json()["error"]["code"] == "ledger_unavailable"
    assert gateway.received() == []


def test_a_key_lookup_runs_off_the_event_loop(gateway: Gateway) -> None:
    import asyncio

    database = gateway.services().database
    threads: list[str] = []

    class Watched(Authenticator):
        def _lookup(self, digest: str):  # type: ignore[no-untyped-def]
            threads.append(threading.current_thread().name)
            return super()._lookup(digest)

    async def scenario() -> None:
        authenticator = Watched(KeyStore(database), cache_ttl_s=5.0)
        caller = await authenticator.authenticate(f"Bearer {gateway.bot_key}")
        assert caller.id == "support-bot"
        assert threads and threads[0] != threading.current_thread().name

    asyncio.run(scenario())
