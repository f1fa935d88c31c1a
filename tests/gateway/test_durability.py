"""Durability: the real server (`govgate serve`, its own process) killed with SIGKILL under
load, then restarted on the same database. Every decision id a client received is in the
ledger and both chains verify, on SQLite and PostgreSQL.

A whole answer (and every refusal) goes out after its record is committed, so its id is
durable once it is received. A stream's X-Decision-Id goes out with its headers, after the
stream is journalled; its record is committed when it ends, before the ending (`data: [DONE]`
or the error event) is sent. A stream the crash cut is recorded as interrupted by the
restarted gateway, once the killed process's heartbeat is stale (docs/decision-record.md,
"Durability"): the second test waits for that (bounded), then checks every cut stream's id.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from gateway.auth import create_key
from gateway.store.db import make_engine, migrate
from gateway.store.decision_log import DecisionLog
from gateway.store.keys import KeyStore
from gateway.upstream.sse import encode_event
from tests.conftest import POLICY_DIR, SUPPORT_HEADERS, ServerThread, _postgres_database
from tests.gateway.hostile_upstream import PLAIN_ANSWER, chunk
from tests.net import free_port

PLAIN_CLIENTS, STREAM_CLIENTS, HELD_STREAMS = 3, 2, 2
RECEIVED_BEFORE_KILL = 40
STARTUP_S = 90.0
# The killed process's journalled streams are orphans this long after its last heartbeat.
ORPHAN_AFTER_S = 2.0
RECOVERY_S = 60.0
CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "Where is my parcel? " * 20}]}


HOLD = "please hold"


def holding_upstream() -> FastAPI:
    """An OpenAI-compatible upstream that echoes the last user message, and holds a stream
    whose message says HOLD open after its first word, until the caller goes away: so those
    streams are open on the gateway when it is killed, whatever the socket buffers hold."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):  # type: ignore[no-untyped-def]
        body = await request.json()
        text = body["messages"][-1]["content"]
        if not body.get("stream"):
            return JSONResponse({**PLAIN_ANSWER, "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})

        async def events() -> AsyncIterator[bytes]:
            yield encode_event(chunk({"role": "assistant", "content": ""}))
            for word in text.split(" "):
                yield encode_event(chunk({"content": word + " "}))
                if HOLD in text:
                    await asyncio.sleep(3600)
            yield encode_event(chunk({}, "stop"))
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ServerThread(holding_upstream(), free_port())
    server.start()
    yield f"http://127.0.0.1:{server.port}/v1"
    server.stop()


class Server:
    """`govgate serve` as a user starts it, configured through GOVGATE_* variables."""

    def __init__(self, env: dict[str, str], port: int, stderr: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        with stderr.open("ab") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve"], env=env,
                                            stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + STARTUP_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"govgate serve exited with {self.process.returncode}: {stderr.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("govgate serve did not come up")
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@dataclass
class Load:
    """What the clients received: (decision id, status) of whole answers, and of streams
    whether their ending arrived."""

    url: str
    key: str
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    whole: list[tuple[str, int]] = field(default_factory=list)
    ended_streams: list[str] = field(default_factory=list)
    cut_streams: list[str] = field(default_factory=list)
    held_open: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    @property
    def headers(self) -> dict[str, str]:
        return {**SUPPORT_HEADERS, "authorization": f"Bearer {self.key}"}

    def received(self) -> int:
        with self.lock:
            return len(self.whole) + len(self.ended_streams)

    def plain(self) -> None:
        with httpx.Client(timeout=30) as client:
            i = 0
            while not self.stop.is_set():
                i += 1
                # Now and then a refusal: its id is as durable as an answer's.
                body = {**CHAT, "messages": []} if i % 5 == 0 else CHAT
                try:
                    response = client.post(self.url + "/v1/chat/completions", json=body, headers=self.headers)
                except httpx.HTTPError:
                    return  # the server is gone
                if "x-decision-id" in response.headers:
                    with self.lock:
                        self.whole.append((response.headers["x-decision-id"], response.status_code))

    def streamed(self, *, hold: bool = False) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                decision_id, ended = None, False
                try:
                    body = {**CHAT, "stream": True}
                    if hold:
                        body["messages"] = [{"role": "user", "content": f"{HOLD} until the crash"}]
                    with client.stream("POST", self.url + "/v1/chat/completions", json=body,
                                       headers=self.headers) as response:
                        decision_id = response.headers.get("x-decision-id")
                        for line in response.iter_lines():
                            if hold and line.startswith("data: "):
                                self.held_open.release()  # open, and held by the upstream
                                hold = False
                            if line == "data: [DONE]" or line.startswith('data: {"error"'):
                                ended = True
                except httpx.HTTPError:
                    pass
                if decision_id is not None:
                    with self.lock:
                        (self.ended_streams if ended else self.cut_streams).append(decision_id)
                if not ended:
                    return


@dataclass
class Crash:
    database_url: str
    load: Load
    stored: set[str]
    verified: dict
    after_restart: httpx.Response
    stderr: str
    records: dict[str, dict]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def crash(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, upstream: str) -> Iterator[Crash]:
    """Load, SIGKILL, restart on the same database; what the clients got and what was kept."""
    tmp = tmp_path_factory.mktemp(f"crash-{request.param}")
    if request.param == "sqlite":
        yield run_crash(tmp, f"sqlite:///{tmp / 'govgate.db'}", upstream)
        return
    for database_url in _postgres_database():
        yield run_crash(tmp, database_url, upstream)


def run_crash(tmp: Path, database_url: str, upstream: str) -> Crash:
    engine = make_engine(database_url)
    migrate(engine)
    key, _ = create_key(KeyStore(engine), caller="crash-bot", roles=["bot"])
    officer, _ = create_key(KeyStore(engine), caller="officer", roles=["compliance_officer"])
    port = free_port()
    env = {**os.environ, "GOVGATE_DATA_DIR": str(tmp / "data"), "GOVGATE_POLICY_DIR": str(POLICY_DIR),
           "GOVGATE_DATABASE_URL": database_url, "GOVGATE_DEMO_UPSTREAM_URL": upstream, "GOVGATE_PORT": str(port),
           "GOVGATE_POLICY_WATCH": "false", "GOVGATE_RATE_LIMIT_PER_MINUTE": "1000000",
           "GOVGATE_STREAM_ORPHAN_AFTER_S": str(ORPHAN_AFTER_S)}
    stderr = tmp / "server.stderr"
    server = Server(env, port, stderr)
    load = Load(server.url, key)
    threads = [threading.Thread(target=load.plain) for _ in range(PLAIN_CLIENTS)]
    threads += [threading.Thread(target=load.streamed) for _ in range(STREAM_CLIENTS)]
    threads += [threading.Thread(target=load.streamed, kwargs={"hold": True}) for _ in range(HELD_STREAMS)]
    try:
        for thread in threads:
            thread.start()
        for _ in range(HELD_STREAMS):
            assert load.held_open.acquire(timeout=60), "a held stream never opened"
        deadline = time.monotonic() + 120
        while load.received() < RECEIVED_BEFORE_KILL:
            assert time.monotonic() < deadline, f"only {load.received()} answers before the deadline"
            time.sleep(0.01)
        server.kill()  # mid-load: requests and streams are in flight
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        server.stop()
    restarted = Server(env, port, stderr)
    try:
        journal_empty(engine)
        after = httpx.post(restarted.url + "/v1/chat/completions", json=CHAT, headers=load.headers, timeout=30)
        verified = httpx.get(restarted.url + "/v1/decisions/verify", timeout=60,
                             headers={"authorization": f"Bearer {officer}"}).json()
    finally:
        restarted.stop()
    with engine.connect() as connection:
        records = {row[0]: row[1] for row in connection.exec_driver_sql("SELECT decision_id, record FROM decisions")}
        stored = set(records)
    assert DecisionLog(engine).verify().ok
    engine.dispose()
    records = {k: v if isinstance(v, dict) else json.loads(v) for k, v in records.items()}
    return Crash(database_url, load, stored, verified, after, stderr.read_text(errors="replace"), records)


def journal_empty(engine) -> None:  # type: ignore[no-untyped-def]
    """Wait (bounded) for the restarted gateway to record the killed one's open streams."""
    deadline = time.monotonic() + RECOVERY_S
    while True:
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT COUNT(*) FROM open_streams").scalar_one() == 0:
                return
        assert time.monotonic() < deadline, "the killed gateway's open streams were never recorded"
        time.sleep(0.2)


def test_every_decision_id_received_before_a_sigkill_is_in_the_ledger(crash: Crash) -> None:
    load = crash.load
    statuses = {status for _, status in load.whole}
    assert 200 in statuses and 400 in statuses, statuses  # answers and refusals both
    assert load.ended_streams, "no stream ended before the kill"
    assert len(load.cut_streams) >= HELD_STREAMS  # the held ones, at least, were open at the kill
    received = [decision_id for decision_id, _ in load.whole] + load.ended_streams
    assert len(received) == len(set(received)) >= RECEIVED_BEFORE_KILL
    missing = [decision_id for decision_id in received if decision_id not in crash.stored]
    assert missing == []
    # The restarted gateway goes on with the same chain, and the whole ledger verifies.
    assert crash.after_restart.status_code == 200
    assert crash.after_restart.headers["x-decision-id"] in crash.stored
    assert crash.verified["ok"] is True and crash.verified["outcomes"]["ok"] is True, crash.verified
    assert crash.verified["checked"] == len(crash.stored)
    assert "Traceback" not in crash.stderr


def test_a_stream_cut_by_the_crash_is_in_the_ledger(crash: Crash) -> None:
    assert crash.load.cut_streams
    assert [d for d in crash.load.cut_streams if d not in crash.stored] == []
    # A cut stream's record says it was interrupted, unless the kill fell between its final
    # record's commit and its ending reaching the caller; the held ones never got that far.
    interrupted = [d for d in crash.load.cut_streams
                   if (crash.records[d]["status_code"], crash.records[d]["stage"], crash.records[d]["error_code"])
                   == (200, "answer", "interrupted")]
    assert len(interrupted) >= HELD_STREAMS
    for decision_id in interrupted:
        record = crash.records[decision_id]
        assert record["streamed"] is True and record["timings"]["client_total"] is None
        assert record["route"]["attempts"] and record["policy"]["result"]["allow"] is True

