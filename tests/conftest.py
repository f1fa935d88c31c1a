"""Shared fixtures: databases (SQLite and PostgreSQL), a live gateway and a live upstream.

Everything talks over real HTTP on loopback: the OpenAI SDK to the gateway, the gateway to
a demo upstream running as its own server. The PII engine loads once per session.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn

from gateway.app import create_app
from gateway.store.keys import KeyStore
from gateway.auth import create_key
from gateway.config import Settings
from gateway.decision import DecisionRecord
from gateway.pii.engine import build_pii_engine
from gateway.store.db import make_engine, migrate
from gateway.store.ledger import DecisionLedger
from gateway.upstream.demo import create_demo_upstream
from tests.net import free_port

REPO = Path(__file__).resolve().parents[1]
POLICY_DIR = REPO / "policies"
POSTGRES_ADMIN_URL = os.environ.get("GOVGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


# --- servers ------------------------------------------------------------------------------


class ServerThread:
    """A uvicorn server in a background thread, on its own event loop."""

    def __init__(self, app, port: int) -> None:  # type: ignore[no-untyped-def]
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = port

    def start(self, timeout_s: float = 60.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server thread died during startup")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def pii_engine():  # type: ignore[no-untyped-def]
    return build_pii_engine()


@pytest.fixture(scope="session")
def upstream() -> Iterator[str]:
    """A demo upstream as its own HTTP server; yields its base URL (…/v1)."""
    server = ServerThread(create_demo_upstream(), free_port())
    server.start()
    yield f"http://127.0.0.1:{server.port}/v1"
    server.stop()


# --- databases ----------------------------------------------------------------------------


def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one fixture's lifetime."""
    name = f"govgate_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable (set CI=true to make this a failure): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_for(backend: str, tmp: Path) -> Iterator[str]:
    """A database of `backend` ("sqlite", "postgres") for a fixture's lifetime, as its URL:
    a SQLite file in `tmp`, or a fresh PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'govgate.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govgate.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def database(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def write(database, records: list[DecisionRecord], *, batch_max: int = 64) -> list[DecisionRecord]:  # type: ignore[no-untyped-def]
    """Records written through the real ledger, as committed (seq and hashes filled)."""
    async def run() -> list[DecisionRecord]:
        ledger = DecisionLedger(database, batch_max=batch_max)
        await ledger.start()
        try:
            # One at a time: seq follows the list, so expectations can be written by position.
            return [await ledger.record(record) for record in records]
        finally:
            await ledger.close()

    return asyncio.run(run())


def error_of(response: httpx.Response, status: int, *, code: str | None = None, param: str | None = None) -> dict:
    """An OpenAI-style error body with this status (and code, param): the error, for more checks."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code", "param"} and error["message"]
    if code is not None:
        assert error["code"] == code
    if param is not None:
        assert error["param"] == param
    return error


# --- a live gateway -----------------------------------------------------------------------


@dataclass
class Gateway:
    url: str
    settings: Settings
    upstream_url: str
    policy_dir: Path
    bot_key: str
    officer_key: str
    app: object

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def services(self):  # type: ignore[no-untyped-def]
        return self.app.state.services  # type: ignore[attr-defined]

    def received(self) -> list[dict]:
        """The request bodies the upstream received, oldest first."""
        return httpx.get(self.upstream_url.removesuffix("/v1") + "/_demo/received").json()

    def clear_received(self) -> None:
        httpx.delete(self.upstream_url.removesuffix("/v1") + "/_demo/received")


def start_gateway(tmp_path: Path, *, pii_engine, upstream_url: str, database_url: str | None = None,  # type: ignore[no-untyped-def]
                  prepare_policy=None, **overrides) -> tuple[Gateway, ServerThread]:
    """A gateway on a copy of the sample policies (`prepare_policy` may edit the copy)."""
    policy_dir = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, policy_dir)
    if prepare_policy is not None:
        prepare_policy(policy_dir)
    port = free_port()
    overrides.setdefault("policy_watch", False)
    settings = Settings(data_dir=tmp_path / "data", policy_dir=policy_dir, port=port, database_url=database_url,
                        demo_upstream_url=upstream_url, **overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = make_engine(settings.effective_database_url)
    migrate(database)
    bot_key, _ = create_key(KeyStore(database), caller="support-bot", roles=["bot"])
    officer_key, _ = create_key(KeyStore(database), caller="officer", roles=["compliance_officer"])
    database.dispose()
    app = create_app(settings, pii_engine=pii_engine)
    server = ServerThread(app, port)
    server.start()
    gateway = Gateway(url=f"http://127.0.0.1:{port}", settings=settings, upstream_url=upstream_url,
                      policy_dir=policy_dir, bot_key=bot_key, officer_key=officer_key, app=app)
    return gateway, server


def module_gateway(tmp_path_factory: pytest.TempPathFactory, name: str, *, pii_engine, upstream: str,  # type: ignore[no-untyped-def]
                   **overrides) -> Iterator[Gateway]:
    """One gateway for a whole test module (yield from it in a module fixture), with a rate
    limit no module's burst of requests from one key reaches."""
    overrides.setdefault("rate_limit_per_minute", 100_000)
    gw, server = start_gateway(Path(tmp_path_factory.mktemp(name)), pii_engine=pii_engine, upstream_url=upstream,
                               **overrides)
    yield gw
    server.stop()


@pytest.fixture
def gateway(tmp_path: Path, pii_engine, upstream: str) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    gw, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream)
    gw.clear_received()
    yield gw
    server.stop()


@pytest.fixture
def gateway_on(tmp_path: Path, pii_engine, upstream: str, database_url: str) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """The gateway on each database: SQLite and PostgreSQL."""
    gw, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url)
    gw.clear_received()
    yield gw
    server.stop()


SUPPORT_HEADERS = {
    "X-Purpose": "customer-support",
    "X-Customer-Region": "US",
    "X-Customer-Id": "cust-0042",
    "X-Customer-Attributes": "gender=female; age_band=35-44; language=en; segment=gold",
}
