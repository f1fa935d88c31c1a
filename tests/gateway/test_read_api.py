"""The read APIs (decisions, policies) refuse odd parameters with a clear 400, on both databases.

Before: `?since=2026-12-01`, `before_seq` past 64 bits, and on PostgreSQL a NUL in the
path or in `?caller=` answered 500 with a traceback and a dropped connection.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SUPPORT_HEADERS, Gateway

UNKNOWN_ID = "dec_" + "0" * 32


def read(gateway: Gateway, path: str, *, key: str | None = None, **params: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {key or gateway.officer_key}"}
    return httpx.get(gateway.base_url + path, params=params or None, headers=headers, timeout=30)


def raw_read(gateway: Gateway, path_and_query: str, *, key: str | None = None) -> httpx.Response:
    """A request whose path and query go out exactly as written (percent-escapes and all)."""
    headers = {"authorization": f"Bearer {key or gateway.officer_key}"}
    return httpx.get(gateway.base_url + path_and_query, headers=headers, timeout=30)


def assert_400(response: httpx.Response, *, param: str | None = None, echo: str | None = None) -> dict:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"] and error["code"]
    if param is not None:
        assert error["param"] == param
    if echo is not None:
        assert echo not in response.text
    return error


def one_chat(gateway: Gateway) -> str:
    response = httpx.post(gateway.base_url + "/chat/completions", timeout=30,
                          headers={**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"},
                          json={"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]})
    assert response.status_code == 200
    return response.headers["x-decision-id"]


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [record["decision_id"] for record in response.json()["data"]]


def test_a_time_without_a_zone_is_read_as_utc(gateway_on: Gateway) -> None:
    decision = one_chat(gateway_on)
    today = datetime.now(UTC).date()
    assert decision in ids(read(gateway_on, "/decisions", since=today.isoformat()))
    assert ids(read(gateway_on, "/decisions", since=(today + timedelta(days=1)).isoformat())) == []
    naive_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert decision in ids(read(gateway_on, "/decisions", since=naive_hour_ago))


def test_a_time_in_another_zone_is_converted_before_comparing(gateway_on: Gateway) -> None:
    # An hour ago, written in UTC+14: its wall-clock fields lie 13 hours in the future, so a
    # comparison of the fields (SQLite stores text) would wrongly drop the record.
    decision = one_chat(gateway_on)
    hour_ago_kiribati = (datetime.now(UTC) - timedelta(hours=1)).astimezone(timezone(timedelta(hours=14)))
    assert decision in ids(read(gateway_on, "/decisions", since=hour_ago_kiribati.isoformat()))
    in_an_hour_honolulu = (datetime.now(UTC) + timedelta(hours=1)).astimezone(timezone(timedelta(hours=-10)))
    assert ids(read(gateway_on, "/decisions", since=in_an_hour_honolulu.isoformat())) == []


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "9999-12-31T23:59:59-14:00",
                                   "0001-01-01T00:00:00+14:00", "2026-12-01T25:00:00", ""])
def test_times_that_are_not_a_time_are_400(gateway_on: Gateway, since: str) -> None:
    assert_400(read(gateway_on, "/decisions", since=since), param="since")


@pytest.mark.parametrize("before_seq", [str(2**64), str(2**63), "1" + "0" * 5000, "-1", "0", "1e3", "1.5", "0x10"])
def test_sequence_numbers_past_64_bits_or_not_integers_are_400(gateway_on: Gateway, before_seq: str) -> None:
    assert_400(read(gateway_on, "/decisions", before_seq=before_seq), param="before_seq")


def test_the_largest_sequence_number_is_accepted(gateway_on: Gateway) -> None:
    decision = one_chat(gateway_on)
    assert ids(read(gateway_on, "/decisions", before_seq=str(2**63 - 1))) == [decision]


@pytest.mark.parametrize("limit", ["1e3", "0", "501", "-5", "ten", "true", ""])
def test_limits_outside_1_to_500_are_400(gateway_on: Gateway, limit: str) -> None:
    assert_400(read(gateway_on, "/decisions", limit=limit), param="limit")


@pytest.mark.parametrize("caller", ["%00", "support%00bot", "a%01b", "%7F", "%C2%85", "x" * 129])
def test_callers_with_control_characters_or_too_long_are_400(gateway_on: Gateway, caller: str) -> None:
    assert_400(raw_read(gateway_on, f"/decisions?caller={caller}"), param="caller")


def test_a_caller_filter_still_filters(gateway_on: Gateway) -> None:
    decision = one_chat(gateway_on)
    assert ids(read(gateway_on, "/decisions", caller="support-bot")) == [decision]
    assert ids(read(gateway_on, "/decisions", caller="someone-else")) == []


@pytest.mark.parametrize("decision_id", ["%00", "dec_%00", "not-an-id", "dec_" + "g" * 32, "DEC_" + "0" * 32,
                                         quote("maria.gonzalez@example.com"), "x" * 5000])
def test_malformed_decision_ids_are_400_without_echo(gateway_on: Gateway, decision_id: str) -> None:
    response = raw_read(gateway_on, f"/decisions/{decision_id}")
    assert_400(response, param="decision_id", echo="maria")


def test_an_unknown_decision_is_404_without_echo(gateway_on: Gateway) -> None:
    response = read(gateway_on, f"/decisions/{UNKNOWN_ID}")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "decision_not_found" and UNKNOWN_ID not in response.text


def test_a_repeated_parameter_is_400(gateway_on: Gateway) -> None:
    error = assert_400(raw_read(gateway_on, "/decisions?limit=1&limit=500"), param="limit")
    assert error["code"] == "repeated_parameter"


def test_an_unknown_parameter_is_400_without_echo(gateway_on: Gateway) -> None:
    # `?caler=` must not quietly list every caller's decisions.
    error = assert_400(raw_read(gateway_on, "/decisions?caler=support-bot"), echo="caler")
    assert error["code"] == "unknown_parameter"
    assert_400(raw_read(gateway_on, f"/decisions?{quote('maria.gonzalez@example.com')}=1"), echo="maria")
    for path in ("/decisions/verify", f"/decisions/{UNKNOWN_ID}", "/policies/status", "/policies/versions"):
        assert_400(raw_read(gateway_on, path + "?limit=5"))


def test_authentication_comes_before_parameter_checks(gateway: Gateway) -> None:
    response = httpx.get(gateway.base_url + "/decisions", params={"before_seq": str(2**70)})
    assert response.status_code == 401 and response.json()["error"]["type"] == "authentication_error"
    bot = raw_read(gateway, "/decisions?caller=%00", key=gateway.bot_key)
    assert bot.status_code == 403


def test_head_and_options_on_the_read_apis_are_405(gateway: Gateway) -> None:
    headers = {"authorization": f"Bearer {gateway.officer_key}"}
    for method in ("HEAD", "OPTIONS", "POST", "DELETE"):
        response = httpx.request(method, gateway.base_url + "/decisions", headers=headers)
        assert response.status_code == 405
        if method != "HEAD":
            assert response.json()["error"]["type"] == "invalid_request_error"


# Any query string at all: never a 5xx, always an OpenAI-style error or a list.
_query_text = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.lists(st.tuples(st.sampled_from(["since", "caller", "limit", "before_seq", "x"]), _query_text),
                       max_size=4))
def test_no_query_string_makes_a_5xx(gateway_on: Gateway, params: list[tuple[str, str]]) -> None:
    response = httpx.get(gateway_on.base_url + "/decisions", params=params, timeout=30,
                         headers={"authorization": f"Bearer {gateway_on.officer_key}"})
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if response.status_code == 400:
        assert set(body["error"]) >= {"message", "type", "code", "param"}
        for _, value in params:
            if len(value) > 3 and value not in json.dumps(["since", "caller", "limit", "before_seq"]):
                assert json.dumps(value)[1:-1] not in body["error"]["message"]
