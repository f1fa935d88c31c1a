"""The govgate CLI, run as a user runs it (a subprocess reading GOVGATE_* settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POLICY_DIR


def govgate(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVGATE_DATA_DIR": str(tmp_path / "data"), "GOVGATE_POLICY_DIR": str(POLICY_DIR)}
    env.pop("GOVGATE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          check=check, timeout=300)


def test_keys_lifecycle(tmp_path: Path) -> None:
    created = json.loads(govgate(tmp_path, "keys", "create", "--caller", "billing-bot", "--roles", "bot",
                                 "--json").stdout)
    assert created["key"].startswith("gg_") and created["roles"] == ["bot"]
    listed = json.loads(govgate(tmp_path, "keys", "list", "--json").stdout)
    assert [(k["key_id"], k["caller"], k["revoked_at"]) for k in listed] == [(created["key_id"], "billing-bot", None)]
    assert created["key"] not in govgate(tmp_path, "keys", "list").stdout
    # Only the hash is stored.
    database = (tmp_path / "data" / "govgate.db").read_bytes()
    assert created["key"].encode() not in database
    assert json.loads(govgate(tmp_path, "keys", "revoke", created["key_id"], "--json").stdout)["revoked"] is True
    assert json.loads(govgate(tmp_path, "keys", "list", "--json").stdout)[0]["revoked_at"] is not None
    assert govgate(tmp_path, "keys", "revoke", created["key_id"], check=False).returncode == 1


def test_console_users_lifecycle(tmp_path: Path) -> None:
    def users(*args: str, password: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GOVGATE_DATA_DIR": str(tmp_path / "data")}
        env.pop("GOVGATE_DATABASE_URL", None)
        return subprocess.run([sys.executable, "-m", "gateway.cli", "users", *args], env=env, input=password,
                              capture_output=True, text=True, check=check, timeout=300)

    secret = "a passphrase nobody else knows"
    created = json.loads(users("create", "--username", "mei", "--role", "compliance_officer", "--password-stdin",
                               "--json", password=secret + "\n").stdout)
    assert (created["username"], created["role"], created["disabled"]) == ("mei", "compliance_officer", False)
    # The password is kept as an argon2id hash only, and never printed.
    database = (tmp_path / "data" / "govgate.db").read_bytes()
    assert secret.encode() not in database and b"$argon2id$" in database
    short = users("create", "--username", "lee", "--role", "admin", "--password-stdin", password="short\n",
                  check=False)
    assert short.returncode != 0 and "12 to 1024 characters" in short.stderr and "short" not in short.stdout
    again = users("create", "--username", "mei", "--role", "admin", "--password-stdin", password=secret + "\n",
                  check=False)
    assert again.returncode != 0 and "exists already" in again.stderr
    bad_name = users("create", "--username", "Mei Li@example.com", "--role", "admin", "--password-stdin",
                     password=secret + "\n", check=False)
    assert bad_name.returncode != 0 and "username must be" in bad_name.stderr
    listed = json.loads(users("list", "--json").stdout)
    assert [(u["username"], u["disabled"]) for u in listed] == [("mei", False)] and "password_hash" not in listed[0]
    assert json.loads(users("unlock", "mei", "--json").stdout)["unlocked"] is True
    assert json.loads(users("disable", "mei", "--json").stdout)["disabled"] is True
    assert users("disable", "mei", check=False).returncode == 1  # already disabled
    assert users("unlock", "nobody", check=False).returncode == 1
    assert json.loads(users("list", "--json").stdout)[0]["disabled"] is True


def test_unknown_role_is_refused(tmp_path: Path) -> None:
    result = govgate(tmp_path, "keys", "create", "--caller", "x", "--roles", "superuser", check=False)
    assert result.returncode != 0 and "roles must be chosen from" in result.stderr


def test_pii_analyze_json(tmp_path: Path) -> None:
    text = "Please call Maria Gonzalez at maria.gonzalez@example.com"
    findings = json.loads(govgate(tmp_path, "pii", "analyze", "--json", text).stdout)
    assert {"entity_type", "start", "end", "score", "recognizer"} <= set(findings[0])
    assert {(f["entity_type"], text[f["start"]:f["end"]]) for f in findings} >= {
        ("PERSON", "Maria Gonzalez"), ("EMAIL_ADDRESS", "maria.gonzalez@example.com")}


@pytest.mark.parametrize("engine", ["regorus", "opa"])
def test_policy_test_on_both_engines(tmp_path: Path, engine: str) -> None:
    result = govgate(tmp_path, "policy", "test", "--engine", engine)
    assert "PASS:" in result.stdout and "FAIL" not in result.stdout


def test_policy_test_fails_on_a_failing_rego_test(tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, broken)
    test_file = broken / "govgate" / "access" / "access_test.rego"
    test_file.write_text(test_file.read_text() + "\ntest_always_fails if {\n\tfalse\n}\n")
    result = govgate(tmp_path, "policy", "test", "--policies", str(broken), check=False)
    assert result.returncode != 0 and "test_always_fails: FAIL" in result.stdout


def test_policy_eval(tmp_path: Path) -> None:
    document = {"caller": {"id": "bot-1", "roles": ["bot"]},
                "request": {"kind": "chat", "model": "demo-chat", "purpose": "customer-support"},
                "customer": {"region": "EU"}, "pii": {"entity_types": ["CREDIT_CARD", "IBAN_CODE"]}}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    result = json.loads(govgate(tmp_path, "policy", "eval", "--input", str(path)).stdout)
    assert result["allow"] is True
    assert [r["region"] for r in result["routes"]] == ["EU"]
    assert result["pii_actions"]["CREDIT_CARD"]["action"] == "pseudonymise"
    iban = result["pii_actions"]["IBAN_CODE"]
    assert (iban["action"], iban["keep_last"]) == ("mask", 4)
    explained = json.loads(govgate(tmp_path, "policy", "eval", "--input", str(path), "--explain").stdout)
    assert {"PII-010", "RES-010", "RTE-010"} <= set(explained["rules"])
    assert explained["coverage"]["govgate/residency/residency.rego"]


def test_decisions_verify_on_an_empty_ledger(tmp_path: Path) -> None:
    assert json.loads(govgate(tmp_path, "decisions", "verify", "--json").stdout)["ok"] is True


def test_verify_covers_the_outcome_chain_too(tmp_path: Path) -> None:
    assert json.loads(govgate(tmp_path, "outcomes", "verify", "--json").stdout) == {
        "ok": True, "checked": 0, "first_bad_seq": None, "outcome_key": None, "problem": None}
    both = govgate(tmp_path, "decisions", "verify").stdout
    assert "chain intact: 0 records" in both and "outcome chain intact: 0 outcomes" in both
    assert json.loads(govgate(tmp_path, "decisions", "list", "--json").stdout) == []
