"""A gateway with a console for the console tests: three console users (one per role), a
ledger with a planted latency gap (so an audit confirms a finding) and real proxied requests
carrying known PII, and a signed-in HTTP client that reads forms the way a browser does."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from sqlalchemy import Engine

from gateway.config import Settings
from gateway.console.auth import ConsoleAuth
from gateway.store.console import ConsoleStore
from gateway.store.db import make_engine, migrate
from tests.audits.synthetic import Population, records, write
from tests.conftest import POLICY_DIR, SUPPORT_HEADERS, Gateway, database_for, start_gateway

PASSWORD = "a long console passphrase"
USERS = {"officer": "compliance_officer", "security": "security_admin", "root": "admin"}
FAST_AUDITS = {"bootstrap_resamples": 199, "shap_sample": 800, "shap_max_iter": 20, "intersections": [],
               "metrics": ["ttft_p50", "latency_p50"]}
# Sent through the proxy; none may appear anywhere in the console.
KNOWN_PII = {"name": "Margaret Thornbury", "phone": "+1 415 555 0134", "email": "margaret.thornbury@example.com",
             "zh_name": "欧阳娜娜", "zh_phone": "13812345678"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_users(database_url: str) -> None:
    engine = make_engine(database_url)
    for username, role in USERS.items():
        create_user(engine, username, role)
    engine.dispose()


def create_user(engine: Engine, username: str, role: str) -> ConsoleAuth:
    auth = ConsoleAuth.from_settings(Settings(), ConsoleStore(engine))
    auth.create_user(username=username, role=role, password=PASSWORD, now=datetime.now(UTC))
    return auth


def proposed_policy(tmp: Path) -> Path:
    """A copy of the sample policy in which bots may no longer act for customer support: every
    such recorded request would go from allow to deny."""
    candidate = tmp / "candidate"
    shutil.copytree(POLICY_DIR, candidate)
    roles = candidate / "data" / "roles.json"
    document = json.loads(roles.read_text())
    del document["bot"]["purposes"]["customer-support"]
    roles.write_text(json.dumps(document))
    return candidate


def zipped(folder: Path, *, under: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, Path(under) / path.relative_to(folder))
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


@dataclass
class Site:
    gateway: Gateway
    database_url: str

    @property
    def url(self) -> str:
        return self.gateway.url

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Client:
        client = self.client()
        response = self.try_sign_in(client, username, password)
        assert response.status_code == 303, response.text
        return client

    @staticmethod
    def try_sign_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
        form = client.get("/console/login")
        token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        return client.post("/console/login", data={"csrf_token": token, "username": username,
                                                   "password": password, "next": "/console/"})


def csrf_of(client: httpx.Client, path: str = "/console/") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)  # type: ignore[union-attr]


def post_form(client: httpx.Client, path: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf_of(client), **data}, **kwargs)


def send_known_pii(gateway: Gateway) -> list[str]:
    """Proxied requests with the known values (English and Chinese; allowed and denied)."""
    ids = []
    headers = {"authorization": f"Bearer {gateway.bot_key}", **SUPPORT_HEADERS}
    texts = [f"My name is {KNOWN_PII['name']}, call me on {KNOWN_PII['phone']} or {KNOWN_PII['email']}.",
             f"我叫{KNOWN_PII['zh_name']}，电话{KNOWN_PII['zh_phone']}，请帮我查订单。"]
    for text in texts:
        body = {"model": "demo-chat", "messages": [{"role": "user", "content": text}]}
        response = httpx.post(gateway.base_url + "/chat/completions", json=body, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        ids.append(response.headers["x-decision-id"])
    denied = httpx.post(gateway.base_url + "/chat/completions", timeout=60,
                        json={"model": "demo-chat", "messages": [{"role": "user", "content": texts[0]}]},
                        headers={**headers, "X-Purpose": "no-such-purpose"})
    assert denied.status_code in (400, 403), denied.text
    return ids


@contextmanager
def console_site(backend: str, tmp: Path, *, pii_engine: Any, upstream: str, **overrides: Any) -> Iterator[Site]:
    with database_for(backend, tmp) as url:
        engine = make_engine(url)
        migrate(engine)
        write(engine, records(Population(n=400, slower={"female": 1.6}), seed=11))
        engine.dispose()
        create_users(url)
        overrides.setdefault("rate_limit_per_minute", 100_000)
        gateway, server = start_gateway(tmp, pii_engine=pii_engine, upstream_url=upstream, database_url=url,
                                        audit_config=FAST_AUDITS, audit_poll_s=3600, **overrides)
        try:
            yield Site(gateway, url)
        finally:
            server.stop()


def wait_for_audit(client: httpx.Client, audit_id: str, timeout_s: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get(f"/console/api/audits/{audit_id}").json()
        if body["audit"]["status"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, "the audit did not finish"
        time.sleep(0.3)
