"""PII without a model call (/v1/pii/analyze, /v1/pii/redact), bad input, and the vault at rest."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlmodel import Session, select

from gateway.store.models import VaultEntry
from tests.conftest import SUPPORT_HEADERS, Gateway

TEXT = "Hi, I am Maria Gonzalez, card 4111 1111 1111 1111, 我的手机13800138000。"


def call(gateway: Gateway, path: str, body: bytes | dict, key: str | None = None, **headers: str) -> httpx.Response:
    all_headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {key or gateway.bot_key}", **headers}
    if isinstance(body, bytes):
        return httpx.post(gateway.base_url + path, content=body, headers={**all_headers,
                                                                         "content-type": "application/json"})
    return httpx.post(gateway.base_url + path, json=body, headers=all_headers, timeout=60)


def test_analyze_returns_explained_findings_for_mixed_text(gateway: Gateway) -> None:
    response = call(gateway, "/pii/analyze", {"text": TEXT})
    assert response.status_code == 200
    findings = response.json()["findings"]
    found = {(f["entity_type"], TEXT[f["start"]:f["end"]]) for f in findings}
    assert {("PERSON", "Maria Gonzalez"), ("CREDIT_CARD", "4111 1111 1111 1111"),
            ("PHONE_NUMBER", "13800138000")} <= found
    for finding in findings:
        assert finding["explanation"]["recognizer"] and finding["explanation"]["original_score"] > 0
        assert "Maria" not in str(finding)


def test_analyze_needs_a_role(gateway: Gateway) -> None:
    assert call(gateway, "/pii/analyze", {"text": TEXT}, key="gg_x_unknown").status_code == 401


def test_redact_applies_the_purpose_actions_and_is_recorded(gateway: Gateway) -> None:
    response = call(gateway, "/pii/redact", {"text": TEXT}, **{"X-Purpose": "marketing"})
    assert response.status_code == 200
    body = response.json()
    assert "Maria" not in body["text"] and "4111" not in body["text"] and "13800138000" not in body["text"]
    assert "[PERSON]" in body["text"] and "[CREDIT_CARD]" in body["text"]
    assert {f["action"] for f in body["findings"]} == {"redact"}
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    assert record.kind == "pii" and record.status_code == 200


def analysed(gateway: Gateway, text: str) -> set[tuple[str, str]]:
    response = call(gateway, "/pii/analyze", {"text": text})
    assert response.status_code == 200
    return {(f["entity_type"], text[f["start"]:f["end"]]) for f in response.json()["findings"]}


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "😀🙃🎉 only emoji here 🚀",
    "1234567890" * 30,  # a digit run is no phone, card or id
])
def test_odd_text_without_pii_finds_nothing(gateway: Gateway, text: str) -> None:
    assert analysed(gateway, text) == set()


def test_mixed_scripts_find_the_name_and_the_city(gateway: Gateway) -> None:
    found = analysed(gateway, "Mixed 中文 and English, 张伟 called from 上海 about order 42")
    # Other NER readings of the English words may come and go; the order number is no PII.
    assert {("PERSON", "张伟"), ("LOCATION", "上海")} <= found
    assert not any(value == "42" for _, value in found)


def test_a_long_text_is_analysed_not_dropped(gateway: Gateway) -> None:
    text = ("Order update for our customer. " * 3000) + "Reach me at maria.gonzalez@example.com"
    response = call(gateway, "/pii/analyze", {"text": text})
    assert response.status_code == 200
    assert "EMAIL_ADDRESS" in {f["entity_type"] for f in response.json()["findings"]}


def test_too_large_or_broken_input_is_a_clear_4xx(gateway: Gateway) -> None:
    one_megabyte_of_chinese = {"text": "张" * 1_000_001}
    assert call(gateway, "/pii/analyze", one_megabyte_of_chinese).status_code == 413
    broken = call(gateway, "/pii/analyze", b'{"text": "\xff\xfe"}')
    assert broken.status_code == 400 and broken.json()["error"]["type"] == "invalid_request_error"
    wrong = call(gateway, "/pii/analyze", {"txt": "hello"})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"]


def test_lone_surrogates_in_chat_do_not_crash_or_leak(gateway: Gateway) -> None:
    # JSON may carry an unpaired surrogate escape; it must not turn into a 500.
    body = b'{"model": "demo-chat", "messages": [{"role": "user", "content": "call Maria Gonzalez \\ud800"}]}'
    response = call(gateway, "/chat/completions", body)
    assert response.status_code == 400 and "surrogate" in response.json()["error"]["message"]
    assert "Maria" not in response.text
    assert gateway.received() == []


def test_vault_keeps_values_only_encrypted(gateway: Gateway) -> None:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}", "X-Conversation-Id": "vault-1"}
    body = {"model": "demo-chat", "messages": [{"role": "user", "content": "I am Maria Gonzalez"}]}
    assert httpx.post(gateway.base_url + "/chat/completions", json=body, headers=headers).status_code == 200
    with Session(gateway.services().database) as session:
        entries = session.exec(select(VaultEntry)).all()
    assert [e.token for e in entries] == ["<PERSON_1>"]
    assert b"Maria" not in entries[0].ciphertext and "Maria" not in entries[0].value_digest
    assert "vault-1" not in entries[0].conversation_key
    database_file = gateway.settings.data_dir / "govgate.db"
    assert b"Maria Gonzalez" not in database_file.read_bytes()


def test_expired_vault_entries_are_purged(gateway: Gateway) -> None:
    from datetime import UTC, datetime, timedelta

    vault = gateway.services().vault
    table = vault.load(vault.conversation_key("support-bot", "old-conversation", "cust-1"))
    table.token_for("PERSON", "Maria Gonzalez")
    expired = datetime.now(UTC) - timedelta(seconds=1)
    entries = [VaultEntry(**{**dataclasses.asdict(entry), "expires_at": expired})
               for entry in vault.entries_to_persist(table)]
    with Session(gateway.services().database) as session:
        session.add_all(entries)
        session.commit()
    assert vault.purge_expired() == 1
    with Session(gateway.services().database) as session:
        assert session.exec(select(VaultEntry)).all() == []
