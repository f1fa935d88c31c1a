"""A hostile caller against restore, identifiers and headers (issue: close every leak).

- Pseudonyms come back only to the caller, conversation and customer that sent them, and
  only for the entity types the policy lets back under the request's purpose.
- A model name, purpose, region, basis, channel or audit attribute the policy (or, for
  channels, the gateway) does not list is never stored or echoed raw.
- A governance header given twice is a 400 on every route, never "first wins" or "last wins".
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SUPPORT_HEADERS, Gateway, start_gateway

MARIA = "I am Maria Gonzalez, maria.gonzalez@example.com, +1 415 555 0134"
MARIA_VALUES = ("Maria Gonzalez", "Gonzalez", "maria.gonzalez@example.com", "415 555 0134")
TOKENS = "<PERSON_1> <EMAIL_ADDRESS_1> <PHONE_NUMBER_1>"


def chat(gateway: Gateway, content: str, *, stream: bool = False, headers: dict[str, str] | None = None,
         model: str = "demo-chat") -> httpx.Response:
    all_headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}", **(headers or {})}
    body = {"model": model, "stream": stream, "messages": [{"role": "user", "content": content}]}
    return httpx.post(gateway.base_url + "/chat/completions", json=body, headers=all_headers, timeout=30)


def answer_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("text/event-stream"):
        text = ""
        for line in response.text.splitlines():
            if line.startswith("data: {"):
                for choice in json.loads(line[6:]).get("choices", []):
                    text += choice.get("delta", {}).get("content") or ""
        return text
    return response.json()["choices"][0]["message"]["content"]


def stored(gateway: Gateway, response: httpx.Response) -> str:
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    assert record is not None, "every response must be recorded"
    return record.model_dump_json()


# --- restore: caller, conversation, customer, purpose ------------------------------------------


@pytest.fixture
def maria_in_conversation(gateway: Gateway) -> Gateway:
    first = chat(gateway, MARIA, headers={"X-Conversation-Id": "conv-a", "X-Customer-Id": "cust-1"})
    assert answer_text(first) == MARIA  # her own values come back to her
    assert not any(value in json.dumps(gateway.received()) for value in MARIA_VALUES)
    return gateway


@pytest.mark.parametrize("stream", [False, True])
def test_same_customer_and_purpose_gets_the_values_back(maria_in_conversation: Gateway, stream: bool) -> None:
    again = chat(maria_in_conversation, TOKENS, stream=stream,
                 headers={"X-Conversation-Id": "conv-a", "X-Customer-Id": "cust-1"})
    assert answer_text(again) == "Maria Gonzalez maria.gonzalez@example.com +1 415 555 0134"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("switch", [
    {"X-Purpose": "marketing"},  # its policy restores nothing
    {"X-Customer-Id": "cust-2"},  # another customer in the same conversation id
    {"X-Customer-Id": None},  # no customer at all
])
def test_other_purpose_or_customer_gets_placeholders_only(maria_in_conversation: Gateway, stream: bool,
                                                          switch: dict[str, str | None]) -> None:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {maria_in_conversation.bot_key}",
               "X-Conversation-Id": "conv-a", "X-Customer-Id": "cust-1", **switch}
    sent = {name: value for name, value in headers.items() if value is not None}
    body = {"model": "demo-chat", "stream": stream, "messages": [{"role": "user", "content": TOKENS}]}
    text = answer_text(httpx.post(maria_in_conversation.base_url + "/chat/completions", json=body, headers=sent,
                                  timeout=30))
    assert not any(value in text for value in MARIA_VALUES), text
    assert "<PERSON_1>" in text and "<EMAIL_ADDRESS_1>" in text


def test_another_caller_with_the_same_conversation_id_gets_nothing(maria_in_conversation: Gateway) -> None:
    from gateway.auth import create_key
    from gateway.store.keys import KeyStore

    other_key, _ = create_key(KeyStore(maria_in_conversation.services().database), caller="other-bot", roles=["bot"])
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {other_key}", "X-Conversation-Id": "conv-a",
               "X-Customer-Id": "cust-1"}
    body = {"model": "demo-chat", "messages": [{"role": "user", "content": TOKENS}]}
    response = httpx.post(maria_in_conversation.base_url + "/chat/completions", json=body, headers=headers, timeout=30)
    assert not any(value in answer_text(response) for value in MARIA_VALUES)


def test_the_policy_decides_which_types_come_back(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    def restore_person_only(policy_dir: Path) -> None:
        path = policy_dir / "data" / "pii.json"
        data = json.loads(path.read_text())
        data["purposes"]["customer-support"]["restore"] = ["PERSON"]
        path.write_text(json.dumps(data))
        rego_test = policy_dir / "govgate" / "pii" / "pii_test.rego"  # the policy's own test follows the edit
        rego_test.write_text(rego_test.read_text().replace(
            '["ADDRESS", "CN_PASSPORT", "CN_RESIDENT_ID", "CREDIT_CARD", "EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER", '
            '"US_SSN"]', '["PERSON"]'))

    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream,
                                    prepare_policy=restore_person_only)
    try:
        headers = {"X-Conversation-Id": "conv-b", "X-Customer-Id": "cust-1"}
        text = answer_text(chat(gateway, MARIA, headers=headers))
        assert "Maria Gonzalez" in text  # PERSON may come back
        assert "maria.gonzalez@example.com" not in text and "<EMAIL_ADDRESS_1>" in text
        assert "415 555 0134" not in text and "<PHONE_NUMBER_1>" in text
    finally:
        server.stop()


def test_a_made_up_placeholder_stays_a_placeholder(gateway: Gateway) -> None:
    text = answer_text(chat(gateway, "Who is <PERSON_7>? And <EMAIL_ADDRESS_1>?",
                            headers={"X-Conversation-Id": "conv-empty", "X-Customer-Id": "cust-9"}))
    assert text == "Who is <PERSON_7>? And <EMAIL_ADDRESS_1>?"


# --- identifiers the policy does not list ------------------------------------------------------

RAW_VALUES = ["maria.gonzalez@example.com", "13912345678", "4000056655665556"]


def assert_nowhere(gateway: Gateway, response: httpx.Response, *raw: str) -> None:
    record = stored(gateway, response)
    for value in raw:
        assert value not in response.text, "echoed in the response"
        assert value not in record, "stored in the decision record"
    database_file = gateway.settings.data_dir / "govgate.db"
    for value in raw:
        assert value.encode() not in database_file.read_bytes()


@pytest.mark.parametrize("stream", [False, True])
def test_an_email_as_model_is_404_and_never_stored(gateway: Gateway, stream: bool) -> None:
    response = chat(gateway, "hello", model="maria.gonzalez@example.com", stream=stream)
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"
    assert_nowhere(gateway, response, "maria.gonzalez@example.com", "maria.gonzalez")
    assert json.loads(stored(gateway, response))["model"].startswith("unlisted:")


def test_an_email_as_embeddings_model_is_never_stored(gateway: Gateway) -> None:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    response = httpx.post(gateway.base_url + "/embeddings", headers=headers, timeout=30,
                          json={"model": "+86 139 1234 5678", "input": "hello"})
    assert response.status_code == 404
    assert_nowhere(gateway, response, "139 1234 5678")


@pytest.mark.parametrize(("header", "value", "status"), [
    ("X-Purpose", "13912345678", 403),
    ("X-Customer-Region", "GONZALEZ", 403),
    ("X-Cross-Border-Basis", "maria.gonzalez", 200),  # unlisted: no basis, the data stays in region
    ("X-Channel", "gonzalez", 200),  # recorded for audits only
])
def test_unlisted_header_values_are_hashed(gateway: Gateway, header: str, value: str, status: int) -> None:
    response = chat(gateway, "hello", headers={header: value})
    assert response.status_code == status, response.text
    assert_nowhere(gateway, response, value, value.lower())
    record = json.loads(stored(gateway, response))
    column = {"X-Purpose": record["purpose"], "X-Customer-Region": record["customer_region"],
              "X-Cross-Border-Basis": record["policy"]["input"]["customer"]["cross_border_basis"],
              "X-Channel": record["features"]["channel"]}[header]
    assert column.startswith("unlisted:")


def test_the_same_unlisted_value_hashes_the_same_so_audits_can_still_group(gateway: Gateway) -> None:
    first = chat(gateway, "hi", headers={"X-Customer-Attributes": "segment=bronze; tier=b2"})
    second = chat(gateway, "hi", headers={"X-Customer-Attributes": "segment=bronze; tier=b2"})
    a, b = (json.loads(stored(gateway, r))["customer_attributes"] for r in (first, second))
    assert a == b and "bronze" not in json.dumps(a) and "tier" not in json.dumps(a)
    assert a["segment"].startswith("unlisted:")


def test_listed_attribute_values_are_kept_as_sent(gateway: Gateway) -> None:
    response = chat(gateway, "hi", headers={"X-Customer-Attributes": "gender=Female; age_band=35-44"})
    assert json.loads(stored(gateway, response))["customer_attributes"] == {"gender": "female", "age_band": "35-44"}


@pytest.mark.parametrize("attributes", [
    "note=4000 0566 5566 5556",  # a card number
    "segment=4111111111111111",
    "gender=female; ref=13912345678",  # one bad pair among good ones (a CN mobile)
])
def test_attributes_holding_pii_are_refused(gateway: Gateway, attributes: str) -> None:
    response = chat(gateway, "hello", headers={"X-Customer-Attributes": attributes})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "pii_in_header"
    raw = attributes.split("=")[-1]
    assert_nowhere(gateway, response, raw, raw.replace(" ", ""))
    assert gateway.received() == []


def test_an_unlisted_attribute_without_pii_is_kept_only_as_a_hash(gateway: Gateway) -> None:
    response = chat(gateway, "hello", headers={"X-Customer-Attributes": "contact=handle-7"})
    assert response.status_code == 200, response.text
    assert_nowhere(gateway, response, "handle-7", "contact")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(local=st.text(alphabet=string.ascii_letters + string.digits + "._-+", min_size=1, max_size=20),
       domain=st.text(alphabet=string.ascii_letters + string.digits + ".-", min_size=1, max_size=20))
def test_any_unlisted_model_name_is_neither_echoed_nor_stored(gateway: Gateway, local: str, domain: str) -> None:
    name = f"{local}@{domain}"  # the "@" keeps it from matching the record's own words and hashes
    response = chat(gateway, "hello", model=name)
    assert response.status_code in (400, 404), response.text
    assert name not in response.text
    if response.status_code == 404:
        assert name not in stored(gateway, response)


# --- repeated headers -----------------------------------------------------------------------

GOVERNANCE = ["X-Purpose", "X-Customer-Region", "X-Customer-Id", "X-Customer-Attributes", "X-Conversation-Id",
              "X-Cross-Border-Basis", "X-Channel", "Authorization"]


def repeated_headers(gateway: Gateway, name: str, first: str, second: str) -> list[tuple[str, str]]:
    base = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"}
    pairs = [(k, v) for k, v in base.items() if k.lower() != name.lower()]
    return [*pairs, (name, first), (name.lower(), second)]


@pytest.mark.parametrize(("path", "body"), [
    ("/chat/completions", {"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}]}),
    ("/chat/completions", {"model": "demo-chat", "stream": True, "messages": [{"role": "user", "content": "hi"}]}),
    ("/embeddings", {"model": "demo-embed", "input": "hi"}),
])
def test_a_repeated_region_is_400_never_the_last_value(gateway: Gateway, path: str, body: dict) -> None:
    headers = repeated_headers(gateway, "X-Customer-Region", "EU", "US")
    response = httpx.post(gateway.base_url + path, json=body, headers=headers, timeout=30)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "repeated_header" and error["param"] == "X-Customer-Region"
    assert gateway.received() == []
    assert json.loads(stored(gateway, response))["status_code"] == 400


@pytest.mark.parametrize("name", GOVERNANCE)
def test_every_governance_header_given_twice_is_400(gateway: Gateway, name: str) -> None:
    value = f"Bearer {gateway.bot_key}" if name == "Authorization" else dict(SUPPORT_HEADERS).get(name, "conv-1")
    # The same value twice is refused too: a proxy that folds or splits headers is not trusted either.
    headers = repeated_headers(gateway, name, value, value)
    body = {"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(gateway.base_url + "/chat/completions", json=body, headers=headers, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == name
    assert gateway.received() == []


def test_authorization_is_read_one_way_on_every_route(gateway: Gateway) -> None:
    pairs = [("authorization", f"Bearer {gateway.officer_key}"), ("Authorization", "Bearer gg_nope_nope")]
    for method, path in [("GET", "/decisions"), ("GET", "/decisions/verify"), ("GET", "/models"),
                         ("GET", "/policies/status")]:
        response = httpx.request(method, gateway.base_url + path, headers=pairs, timeout=30)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["code"] == "repeated_header"
