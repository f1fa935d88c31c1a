"""POST /v1/outcomes on SQLite and PostgreSQL: stored beside the ledger, idempotent on the
caller's outcome_id, role-checked without leaking what exists, strict about every field
(never echoing it, never a 5xx), conversation outcomes by the ledger's keyed HMAC, and
tamper-evident. Plain httpx: this endpoint is not part of the OpenAI API.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from gateway.auth import create_key
from gateway.outcome import RULES
from gateway.store.keys import KeyStore
from tests.conftest import SUPPORT_HEADERS, Gateway, database_for, error_of, start_gateway

UNKNOWN_DECISION = "dec_" + "0" * 32
RULE_TEXT = " ".join(RULES.values())


@dataclass
class Site:
    gateway: Gateway
    other_bot_key: str
    admin_key: str


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pii_engine,  # type: ignore[no-untyped-def]
         upstream: str) -> Iterator[Site]:
    """One gateway per database for the module: each test uses its own decisions and ids."""
    tmp = Path(tmp_path_factory.mktemp(f"outcomes-{request.param}"))
    with database_for(request.param, tmp) as url:
        gateway, server = start_gateway(tmp, pii_engine=pii_engine, upstream_url=upstream, database_url=url,
                                        rate_limit_per_minute=100_000)
        keys = KeyStore(gateway.services().database)
        other, _ = create_key(keys, caller="other-bot", roles=["bot"])
        admin, _ = create_key(keys, caller="site-admin", roles=["admin"])
        try:
            yield Site(gateway, other, admin)
        finally:
            server.stop()


def chat(gateway: Gateway, *, key: str | None = None, conversation: str | None = None) -> str:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {key or gateway.bot_key}"}
    if conversation is not None:
        headers["X-Conversation-Id"] = conversation
    response = httpx.post(gateway.base_url + "/chat/completions", headers=headers, timeout=30,
                          json={"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]})
    assert response.status_code == 200, response.text
    return response.headers["x-decision-id"]


def post(gateway: Gateway, body: Any = None, *, key: str | None = None, raw: bytes | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {key or gateway.bot_key}", "content-type": "application/json"}
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(gateway.base_url + "/outcomes", content=content, headers=headers, timeout=30)


def new_id() -> str:
    return f"out-{uuid.uuid4().hex[:12]}"




# --- the happy path and idempotency ---------------------------------------------------------


def test_an_outcome_on_a_decision_is_stored_beside_it(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    outcome_id = new_id()
    response = post(gateway, {"outcome_id": outcome_id, "decision_id": decision, "outcome": "refund_granted",
                              "csat": 5, "occurred_at": datetime.now(UTC).isoformat()})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["object"] == "outcome" and body["outcome_id"] == outcome_id
    assert (body["decision_id"], body["outcome"], body["csat"], body["reported_by"], body["subject_caller"]) == (
        decision, "refund_granted", 5, "support-bot", "support-bot")
    assert body["conversation_id"] is None and body["occurred_at_reported"] is True and body["seq"] >= 1
    # Stored under a keyed hash of the caller's id, never the id itself.
    assert body["outcome_key"] != outcome_id and len(body["outcome_key"]) == 64
    log = gateway.services().decision_log
    assert [o.record_hash for o in log.outcomes_for(decision)] == [body["record_hash"]]
    # The decision record itself is untouched (the outcome lives beside it), and both chains verify.
    record = httpx.get(f"{gateway.base_url}/decisions/{decision}", timeout=30,
                       headers={"authorization": f"Bearer {gateway.bot_key}"}).json()
    assert "outcome" not in record and "csat" not in record
    verify = httpx.get(f"{gateway.base_url}/decisions/verify", timeout=30,
                       headers={"authorization": f"Bearer {gateway.officer_key}"}).json()
    assert verify["ok"] and verify["outcomes"]["ok"] and verify["outcomes"]["checked"] >= 1


def test_site_codes_and_a_missing_time_are_accepted(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    before = datetime.now(UTC)
    response = post(gateway, {"outcome_id": new_id(), "decision_id": decision, "outcome": "site:callback_promised"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "site:callback_promised" and body["csat"] is None
    assert body["occurred_at_reported"] is False
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(body["occurred_at"]) <= datetime.now(UTC)


@pytest.mark.parametrize("with_time", [True, False])
def test_the_same_report_again_is_200_with_the_same_stored_outcome(site: Site, with_time: bool) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    at = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {"outcome_id": new_id(), "decision_id": decision, "outcome": "resolved", "csat": 4}
    if with_time:
        body["occurred_at"] = at.isoformat().replace("+00:00", "Z")
    first = post(gateway, body)
    assert first.status_code == 201, first.text
    if with_time:  # the same instant written another way is the same report
        body["occurred_at"] = at.astimezone(timezone(timedelta(hours=8))).isoformat()
    again = post(gateway, body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert len(gateway.services().decision_log.outcomes_for(decision)) == 1


@pytest.mark.parametrize("change", [{"outcome": "escalated"}, {"csat": 3}, {"csat": None},
                                    {"occurred_at": "2020-01-01T00:00:00Z"}, {"decision_id": "other"}])
def test_the_same_outcome_id_for_another_report_is_409(site: Site, change: dict[str, Any]) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    body = {"outcome_id": new_id(), "decision_id": decision, "outcome": "resolved", "csat": 4}
    assert post(gateway, body).status_code == 201
    if change.get("decision_id") == "other":
        change = {"decision_id": chat(gateway)}
    if "occurred_at" in change:
        change = {"occurred_at": datetime.now(UTC).isoformat()}
    response = post(gateway, {**body, **change})
    error = error_of(response, 409, code="outcome_conflict", param="outcome_id")
    assert body["outcome_id"] not in response.text and error["type"] == "invalid_request_error"
    assert len(gateway.services().decision_log.outcomes_for(decision)) == 1


def test_racing_retries_store_one_outcome(site: Site) -> None:
    # The idempotency check runs under the outcome chain's head lock: retries sent at once
    # cannot both insert, whichever database.
    from concurrent.futures import ThreadPoolExecutor

    gateway = site.gateway
    decision = chat(gateway)
    body = {"outcome_id": new_id(), "decision_id": decision, "outcome": "resolved", "csat": 5}
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: post(gateway, body), range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["record_hash"] for r in responses}) == 1
    assert len(gateway.services().decision_log.outcomes_for(decision)) == 1


def test_outcome_ids_belong_to_their_reporter(site: Site) -> None:
    gateway = site.gateway
    outcome_id = new_id()
    mine, theirs = chat(gateway), chat(gateway, key=site.other_bot_key)
    assert post(gateway, {"outcome_id": outcome_id, "decision_id": mine, "outcome": "resolved"}).status_code == 201
    other = post(gateway, {"outcome_id": outcome_id, "decision_id": theirs, "outcome": "abandoned"},
                 key=site.other_bot_key)
    assert other.status_code == 201, other.text


# --- who may report on what -----------------------------------------------------------------


def test_an_unknown_decision_and_another_bots_decision_are_the_same_404(site: Site) -> None:
    gateway = site.gateway
    theirs = chat(gateway, key=site.other_bot_key)
    unknown = post(gateway, {"outcome_id": new_id(), "decision_id": UNKNOWN_DECISION, "outcome": "resolved"})
    foreign = post(gateway, {"outcome_id": new_id(), "decision_id": theirs, "outcome": "resolved"})
    a = error_of(unknown, 404, code="decision_not_found", param="decision_id")
    b = error_of(foreign, 404, code="decision_not_found", param="decision_id")
    assert a == b and UNKNOWN_DECISION not in unknown.text and theirs not in foreign.text
    assert gateway.services().decision_log.outcomes_for(theirs) == []


def test_roles_bots_and_admins_report_auditors_do_not(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    body = {"outcome_id": new_id(), "decision_id": decision, "outcome": "escalated"}
    error_of(post(gateway, body, key=gateway.officer_key), 403, code="insufficient_role")
    anonymous = httpx.post(gateway.base_url + "/outcomes", json=body, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["type"] == "authentication_error"
    by_admin = post(gateway, body, key=site.admin_key)
    assert by_admin.status_code == 201, by_admin.text
    assert (by_admin.json()["reported_by"], by_admin.json()["subject_caller"]) == ("site-admin", "support-bot")


def test_a_conversation_outcome_attaches_to_the_conversation(site: Site) -> None:
    gateway = site.gateway
    raw = f"conv-{uuid.uuid4().hex[:10]}"
    turns = [chat(gateway, conversation=raw) for _ in range(2)]
    log = gateway.services().decision_log
    digest = log.get(turns[0]).conversation_id
    response = post(gateway, {"outcome_id": new_id(), "conversation_id": raw, "outcome": "resolved", "csat": 2})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["conversation_id"] == digest and body["decision_id"] is None and raw not in response.text
    assert all([o.record_hash for o in log.outcomes_for(turn)] == [body["record_hash"]] for turn in turns)
    # Another bot that happens to use the same conversation id has no such conversation of its own.
    theirs = chat(gateway, key=site.other_bot_key, conversation=raw)
    assert log.outcomes_for(theirs) == []
    error_of(post(gateway, {"outcome_id": new_id(), "conversation_id": f"conv-{uuid.uuid4().hex}",
                            "outcome": "resolved"}), 404, code="conversation_not_found", param="conversation_id")
    other_only = f"conv-{uuid.uuid4().hex[:10]}"
    chat(gateway, key=site.other_bot_key, conversation=other_only)
    foreign = post(gateway, {"outcome_id": new_id(), "conversation_id": other_only, "outcome": "resolved"})
    error_of(foreign, 404, code="conversation_not_found")
    assert other_only not in foreign.text
    # An admin's conversation outcome concerns every caller's decisions in it.
    by_admin = post(gateway, {"outcome_id": new_id(), "conversation_id": raw, "outcome": "escalated"},
                    key=site.admin_key)
    assert by_admin.status_code == 201 and by_admin.json()["subject_caller"] is None
    assert [o.outcome for o in log.outcomes_for(theirs)] == ["escalated"]
    assert [o.outcome for o in log.outcomes_for(turns[1])] == ["resolved", "escalated"]


@pytest.mark.parametrize(("offset", "status"), [(timedelta(minutes=1), 201), (timedelta(hours=1), 400),
                                                (timedelta(days=-1), 400), (timedelta(days=-3650), 400)])
def test_occurred_at_is_neither_in_the_future_nor_before_the_decision(site: Site, offset: timedelta,
                                                                      status: int) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    response = post(gateway, {"outcome_id": new_id(), "decision_id": decision, "outcome": "resolved",
                              "occurred_at": (datetime.now(UTC) + offset).isoformat()})
    if status == 201:
        assert response.status_code == 201, response.text
    else:
        error_of(response, 400, param="occurred_at")


# --- refused bodies -----------------------------------------------------------------------


BAD_FIELDS: list[tuple[dict[str, Any], str | None]] = [
    ({"outcome_id": ""}, "outcome_id"),
    ({"outcome_id": "x" * 129}, "outcome_id"),
    ({"outcome_id": "maria.gonzalez@example.com"}, "outcome_id"),
    ({"outcome_id": "ｏｕｔ－１"}, "outcome_id"),
    ({"outcome_id": "out\u0000nul"}, "outcome_id"),
    ({"outcome_id": "out\u202eevil"}, "outcome_id"),
    ({"outcome_id": 12}, "outcome_id"),
    ({"outcome_id": None}, "outcome_id"),
    ({"decision_id": "dec_" + "G" * 32}, "decision_id"),
    ({"decision_id": "dec_" + "٣" * 32}, "decision_id"),
    ({"decision_id": "DEC_" + "0" * 32}, "decision_id"),
    ({"decision_id": ["dec_" + "0" * 32]}, "decision_id"),
    ({"outcome": "Resolved"}, "outcome"),
    ({"outcome": "resolved "}, "outcome"),
    ({"outcome": "ｒｅｓｏｌｖｅｄ"}, "outcome"),
    ({"outcome": "resolved\n"}, "outcome"),
    ({"outcome": "refund"}, "outcome"),
    ({"outcome": ""}, "outcome"),
    ({"outcome": "site:"}, "outcome"),
    ({"outcome": "site:Callback"}, "outcome"),
    ({"outcome": "site:call-back"}, "outcome"),
    ({"outcome": "site:1callback"}, "outcome"),
    ({"outcome": "site:" + "a" * 49}, "outcome"),
    ({"outcome": "site:callback\u200b"}, "outcome"),
    ({"outcome": "site:rückruf"}, "outcome"),
    ({"outcome": "other:callback"}, "outcome"),
    ({"outcome": 1}, "outcome"),
    ({"outcome": None}, "outcome"),
    ({"csat": 0}, "csat"),
    ({"csat": 6}, "csat"),
    ({"csat": -1}, "csat"),
    ({"csat": 4.5}, "csat"),
    ({"csat": 5.0}, "csat"),
    ({"csat": "5"}, "csat"),
    ({"csat": True}, "csat"),
    ({"csat": 10**30}, "csat"),
    ({"csat": -(10**30)}, "csat"),
    ({"csat": [5]}, "csat"),
    ({"occurred_at": "2026-12-02"}, "occurred_at"),
    ({"occurred_at": "2026-12-02T10:00:00"}, "occurred_at"),
    ({"occurred_at": "2026-12-02 10:00:00Z"}, "occurred_at"),
    ({"occurred_at": "２０２６-12-02T10:00:00Z"}, "occurred_at"),
    ({"occurred_at": "2026-13-02T10:00:00Z"}, "occurred_at"),
    ({"occurred_at": "2026-12-02T10:00:00+25:00"}, "occurred_at"),
    ({"occurred_at": "10000-01-01T00:00:00Z"}, "occurred_at"),
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
    ({"occurred_at": "yesterday at noon"}, "occurred_at"),
    ({"occurred_at": 1764669600}, "occurred_at"),
    ({"note": "the customer maria.gonzalez@example.com was happy"}, None),
    ({"maria.gonzalez@example.com": 1}, None),
    ({"csat ": 3}, None),
    ({"conversation_id": "conv-1"}, None),  # and a decision_id: two targets
    ({"decision_id": None}, None),  # no target at all
]


@pytest.mark.parametrize(("change", "param"), BAD_FIELDS)
def test_each_bad_field_is_a_400_that_names_it_without_echo(site: Site, change: dict[str, Any],
                                                            param: str | None) -> None:
    gateway = site.gateway
    body = {"outcome_id": new_id(), "decision_id": UNKNOWN_DECISION, "outcome": "resolved", **change}
    response = post(gateway, body)
    error = error_of(response, 400, param=param)
    assert error["type"] == "invalid_request_error"
    for key, value in change.items():
        for said in (key, value):
            if isinstance(said, str) and len(said) > 3 and said not in RULE_TEXT + str(list(RULES)):
                assert said not in response.text and json.dumps(said)[1:-1] not in response.text


@pytest.mark.parametrize("conversation_id", ["a b", "会话一", "x" * 129, "conv\t1", ""])
def test_a_bad_conversation_id_is_a_400(site: Site, conversation_id: str) -> None:
    response = post(site.gateway, {"outcome_id": new_id(), "conversation_id": conversation_id, "outcome": "resolved"})
    error_of(response, 400, param="conversation_id")
    if len(conversation_id) > 3:
        assert conversation_id not in response.text


@pytest.mark.parametrize(("raw", "code"), [
    (b'{"outcome_id": "a", "outcome_id": "b", "decision_id": "dec_' + b"0" * 32 + b'", "outcome": "resolved"}',
     "repeated_key"),
    (b'{"outcome_id": "a", "decision_id": "dec_' + b"0" * 32 + b'", "outcome": "resolved", "outcome": "abandoned"}',
     "repeated_key"),
    (b'{"outcome_id": "a", "decision_id": "dec_' + b"0" * 32 + b'", "outcome": "resolved", "csat": ' + b"9" * 50 + b"}",
     "invalid_number"),
    (b'{"outcome_id": "a", "decision_id": "dec_' + b"0" * 32 + b'", "outcome": "resolved", "csat": NaN}',
     "invalid_number"),
    (b'{"outcome_id": "a", "decision_id": "dec_' + b"0" * 32 + b'", "outcome": "resolved", "csat": 1e999}',
     "invalid_number"),
    (b'{"outcome_id": "\\ud800", "decision_id": "dec_' + b"0" * 32 + b'", "outcome": "resolved"}', "invalid_unicode"),
    (b"[" * 100 + b"]" * 100, "json_too_deep"),
    (b'["resolved"]', None),
    (b"outcome=resolved", None),
    (b"", None),
    (b"\xff\xfe{}", None),
])
def test_bodies_that_are_not_one_clear_json_object_are_400(site: Site, raw: bytes, code: str | None) -> None:
    response = post(site.gateway, raw=raw)
    error_of(response, 400, code=code)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6)
_field_names = st.sampled_from([*RULES, "x", "Outcome", "csat "])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(_field_names, _json_values | st.sampled_from(
    ["resolved", "site:callback_promised", UNKNOWN_DECISION, "2026-12-02T10:00:00Z", 3]), max_size=6))
def test_no_body_makes_a_5xx(site: Site, body: dict[str, Any]) -> None:
    response = post(site.gateway, body)
    assert response.status_code in (200, 201, 400, 404, 409), response.text
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"message", "type", "code", "param"}


def test_other_methods_are_405(site: Site) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = httpx.request(method, site.gateway.base_url + "/outcomes", timeout=30,
                                 headers={"authorization": f"Bearer {site.gateway.bot_key}"})
        assert response.status_code == 405 and response.json()["error"]["type"] == "invalid_request_error"


# --- tamper evidence, through the API ---------------------------------------------------------


def test_verify_names_an_edited_outcome(gateway_on: Gateway) -> None:
    gateway = gateway_on
    decision = chat(gateway)
    stored = [post(gateway, {"outcome_id": new_id(), "decision_id": decision, "outcome": "resolved",
                             "csat": 3}).json() for _ in range(3)]
    officer = {"authorization": f"Bearer {gateway.officer_key}"}
    assert httpx.get(f"{gateway.base_url}/decisions/verify", headers=officer, timeout=30).json()["ok"] is True
    with gateway.services().database.begin() as connection:
        connection.execute(text("UPDATE outcomes SET csat = 5 WHERE seq = :seq"), {"seq": stored[1]["seq"]})
    verify = httpx.get(f"{gateway.base_url}/decisions/verify", headers=officer, timeout=30).json()
    assert verify["ok"] is False and verify["problem"] is None and verify["first_bad_seq"] is None
    assert verify["outcomes"] == {"ok": False, "checked": 1, "first_bad_seq": stored[1]["seq"],
                                  "outcome_key": stored[1]["outcome_key"],
                                  "problem": "the query columns disagree with the hashed record"}


# --- the rate limit ------------------------------------------------------------------------------


def test_reports_past_a_minutes_allowance_are_429_and_not_stored(tmp_path: Path, pii_engine,  # type: ignore[no-untyped-def]
                                                                  upstream: str) -> None:
    """Per reporting caller, a window apart from its model calls (the limiter is in memory:
    the same on either database)."""
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, rate_limit_per_minute=4)
    try:
        admin, _ = create_key(KeyStore(gateway.services().database), caller="site-admin", roles=["admin"])
        decision = chat(gateway)
        reports = [post(gateway, {"outcome_id": new_id(), "decision_id": decision, "outcome": "resolved"})
                   for _ in range(5)]
        assert [r.status_code for r in reports] == [201] * 4 + [429]
        error = error_of(reports[-1], 429, code="rate_limit_exceeded")
        assert int(reports[-1].headers["retry-after"]) >= 1 and "decision_id" not in error
        # A malformed report past the limit is refused for the limit, before its body is read.
        error_of(post(gateway, raw=b"{not json"), 429, code="rate_limit_exceeded")
        with gateway.services().database.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM outcomes")).scalar_one() == 4
        # Its model calls have their own window; another reporter has its own allowance.
        assert chat(gateway).startswith("dec_")
        other = post(gateway, {"outcome_id": new_id(), "decision_id": decision, "outcome": "resolved"}, key=admin)
        assert other.status_code == 201, other.text
    finally:
        server.stop()
