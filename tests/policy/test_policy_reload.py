"""PolicyHolder keeps the last good policy on a bad edit and picks up good edits.

The holder is wired to the store as the app factory wires it (each activation becomes a
policy version row), on SQLite and PostgreSQL: a refused edit must leave no version behind.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from policy_inputs import make_input

from gateway.policy.reload import PolicyHolder
from gateway.store.policy_versions import list_versions, record_activation


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def stored(database) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The versions in the database, oldest first: (bundle hash, source)."""
    return [(v.bundle_hash, v.source) for v in reversed(list_versions(database))]


@pytest.fixture
def holder(policy_copy, database):  # type: ignore[no-untyped-def]
    h = PolicyHolder(policy_copy, on_activate=lambda activation: record_activation(database, activation))
    assert h.reload("startup")
    return h


def test_startup_activation(holder, database):
    status = holder.status()
    assert status["ready"] and status["last_error"] is None
    assert status["history"][0]["source"] == "startup"
    assert status["history"][0]["bundle_hash"] == holder.bundle_hash
    assert holder.engine.evaluate(make_input()).allow
    assert stored(database) == [(holder.bundle_hash, "startup")]


def test_unchanged_reload_is_a_no_op(holder, database):
    assert not holder.reload("api")
    assert len(holder.history) == 1
    assert stored(database) == [(holder.bundle_hash, "startup")]


def test_parse_error_keeps_last_good(holder, policy_copy, database):
    good = holder.bundle_hash
    _edit(policy_copy / "govgate" / "access" / "access.rego", "allow if count(deny) == 0", "allow if count(deny) ==")
    assert not holder.reload("watch")
    assert holder.bundle_hash == good
    assert holder.status()["last_error"]["source"] == "watch"
    assert holder.engine.evaluate(make_input()).allow
    assert stored(database) == [(good, "startup")]


def test_failing_rego_test_keeps_last_good(holder, policy_copy, database):
    good = holder.bundle_hash
    # Marketing stops being a permitted purpose: the policy parses, but its tests fail.
    path = policy_copy / "data" / "roles.json"
    roles = json.loads(path.read_text())
    del roles["bot"]["purposes"]["marketing"]
    path.write_text(json.dumps(roles))
    assert not holder.reload("api")
    assert holder.bundle_hash == good
    assert "policy tests failed" in holder.last_error
    assert holder.engine.evaluate(make_input(purpose="marketing")).allow
    assert stored(database) == [(good, "startup")]


def test_schema_error_keeps_last_good(holder, policy_copy, database):
    good = holder.bundle_hash
    _edit(policy_copy / "data" / "pii.json", '"action": "hash"', '"action": "shred"')
    assert not holder.reload("api")
    assert holder.bundle_hash == good
    assert "pii.json" in holder.last_error
    assert stored(database) == [(good, "startup")]


def test_good_edit_is_activated(holder, policy_copy, database):
    good = holder.bundle_hash
    _edit(policy_copy / "data" / "pii.json", '"IBAN_CODE": {"action": "mask", "keep_last": 4}', '"IBAN_CODE": {"action": "redact"}')
    assert holder.reload("api")
    assert holder.bundle_hash != good
    assert [h["bundle_hash"] for h in holder.history] == [good, holder.bundle_hash]
    result = holder.engine.evaluate(make_input(entity_types=("IBAN_CODE",)))
    assert result.pii_actions["IBAN_CODE"].action == "redact"
    assert holder.last_error is None
    assert stored(database) == [(good, "startup"), (holder.bundle_hash, "api")]


def test_watch_picks_up_an_edit(holder, policy_copy, database):
    good = holder.bundle_hash

    async def scenario() -> str | None:
        stop = asyncio.Event()
        task = asyncio.create_task(holder.watch(stop, debounce_ms=100))
        await asyncio.sleep(0.3)
        _edit(policy_copy / "data" / "pii.json", '"IBAN_CODE": {"action": "mask", "keep_last": 4}', '"IBAN_CODE": {"action": "redact"}')
        deadline = time.monotonic() + 15
        while holder.bundle_hash == good and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 5)
        return holder.bundle_hash

    assert asyncio.run(scenario()) != good
    assert holder.history[-1]["source"] == "watch"
    assert stored(database) == [(good, "startup"), (holder.bundle_hash, "watch")]
