"""Policy lifecycle on a live gateway: hot reload keeps the last good policy, versions are
listed, a shadow policy's disagreements are recorded, replay reports what would change.
On SQLite and PostgreSQL: versions, records and replay all go through the database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import POLICY_DIR, SUPPORT_HEADERS, Gateway, start_gateway

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]}


def chat(gateway: Gateway, purpose: str = "marketing") -> httpx.Response:
    headers = {**SUPPORT_HEADERS, "X-Purpose": purpose, "authorization": f"Bearer {gateway.bot_key}"}
    return httpx.post(gateway.base_url + "/chat/completions", json=CHAT, headers=headers, timeout=30)


def status(gateway: Gateway) -> dict:
    return httpx.get(gateway.base_url + "/policies/status",
                     headers={"authorization": f"Bearer {gateway.officer_key}"}).json()


def without_marketing(policy_dir: Path) -> None:
    """A candidate policy in which role bot may no longer use the purpose marketing."""
    path = policy_dir / "data" / "roles.json"
    roles = json.loads(path.read_text())
    del roles["bot"]["purposes"]["marketing"]
    path.write_text(json.dumps(roles, indent=2))
    # The sample tests assert that marketing is allowed; a candidate that changes the rule
    # changes its tests with it.
    for test in policy_dir.rglob("*_test.rego"):
        test.unlink()


def wait_for(condition, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_hot_reload_applies_good_edits_and_keeps_the_last_good_policy(tmp_path: Path, pii_engine,  # type: ignore[no-untyped-def]
                                                                      upstream: str, database_url: str) -> None:
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url,
                                    policy_watch=True)
    try:
        first = status(gateway)["bundle_hash"]
        assert chat(gateway).status_code == 200

        # A bad edit (a syntax error) is refused: the old policy keeps deciding.
        access = gateway.policy_dir / "govgate" / "access" / "access.rego"
        good_source = access.read_text()
        access.write_text(good_source + "\nthis is not rego\n")
        wait_for(lambda: status(gateway)["last_error"] is not None)
        assert status(gateway)["bundle_hash"] == first
        assert chat(gateway).status_code == 200
        ready = httpx.get(gateway.url + "/readyz").json()
        assert ready["ready"] and ready["checks"]["policy"] == {"ok": True}  # details: /v1/policies/status

        # A good edit goes live within seconds: bots may now also work on collections.
        assert chat(gateway, purpose="collections").status_code == 403
        access.write_text(good_source)
        roles_path = gateway.policy_dir / "data" / "roles.json"
        roles = json.loads(roles_path.read_text())
        roles["bot"]["purposes"]["collections"] = ["demo-chat"]
        roles_path.write_text(json.dumps(roles, indent=2))
        wait_for(lambda: status(gateway)["bundle_hash"] != first)
        allowed = chat(gateway, purpose="collections")
        assert allowed.status_code == 200
        assert gateway.services().decision_log.get(allowed.headers["x-decision-id"]).policy.bundle_hash != first

        versions = httpx.get(gateway.base_url + "/policies/versions",
                             headers={"authorization": f"Bearer {gateway.officer_key}"}).json()["data"]
        assert [v["bundle_hash"] for v in versions][-1] == first
        assert versions[0]["source"] == "watch" and len(versions) == 2
    finally:
        server.stop()


def test_shadow_policy_records_disagreements_without_enforcing(tmp_path: Path, pii_engine,  # type: ignore[no-untyped-def]
                                                               upstream: str, database_url: str) -> None:
    candidate = tmp_path / "candidate"
    shutil.copytree(POLICY_DIR, candidate)
    without_marketing(candidate)
    gateway, server = start_gateway(tmp_path / "gw", pii_engine=pii_engine, upstream_url=upstream,
                                    database_url=database_url, shadow_policy_dir=candidate)
    try:
        response = chat(gateway)
        assert response.status_code == 200  # the shadow does not enforce
        shadow = gateway.services().decision_log.get(response.headers["x-decision-id"]).policy.shadow
        assert shadow is not None and shadow.bundle_hash != status(gateway)["bundle_hash"]
        assert [d["kind"] for d in shadow.differences][0] == "allow_to_deny"
        support = chat(gateway, purpose="customer-support")
        assert gateway.services().decision_log.get(support.headers["x-decision-id"]).policy.shadow.differences == []
    finally:
        server.stop()


def test_replay_reports_what_a_candidate_would_change(gateway_on: Gateway, tmp_path: Path) -> None:
    gateway = gateway_on
    marketing = [chat(gateway).headers["x-decision-id"] for _ in range(3)]
    support = [chat(gateway, "customer-support").headers["x-decision-id"] for _ in range(2)]
    candidate = tmp_path / "candidate"
    shutil.copytree(POLICY_DIR, candidate)
    without_marketing(candidate)
    env = {**os.environ, "GOVGATE_DATA_DIR": str(gateway.settings.data_dir),
           "GOVGATE_DATABASE_URL": gateway.settings.effective_database_url}
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "policy", "replay", "--policies", str(candidate),
                             "--since", "1h", "--json"], env=env, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    assert report["total"] == 5 and report["changed"] == 3 and report["unchanged"] == 2
    assert report["changes"]["allow_to_deny"]["count"] == 3
    assert set(report["changes"]["allow_to_deny"]["examples"]) == set(marketing)
    assert not set(support) & set(report["changes"]["allow_to_deny"]["examples"])
