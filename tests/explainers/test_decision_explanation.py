"""GET /v1/decisions/{id}/explanation and `govgate decisions explain`, on SQLite and PostgreSQL,
through a real gateway: who may read it, strict parameters, what it says about a denied
request, a redacted finding, a refusal before the policy, outcomes reported later, in English
and Chinese, and never a PII value the request carried.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.auth import create_key
from gateway.store.keys import KeyStore
from tests.conftest import SUPPORT_HEADERS, Gateway, database_for, error_of, start_gateway

UNKNOWN_ID = "dec_" + "0" * 32
CJK = re.compile(r"[\u4e00-\u9fff]")
HEX_RUN = re.compile(r"[0-9a-f]{16,}")


@dataclass
class Site:
    gateway: Gateway
    other_bot_key: str
    admin_key: str
    security_key: str


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pii_engine,  # type: ignore[no-untyped-def]
         upstream: str) -> Iterator[Site]:
    """One gateway per database for the module; each test makes its own decisions."""
    tmp = Path(tmp_path_factory.mktemp(f"explain-{request.param}"))
    with database_for(request.param, tmp) as url:
        gateway, server = start_gateway(tmp, pii_engine=pii_engine, upstream_url=upstream, database_url=url,
                                        rate_limit_per_minute=100_000)
        keys = KeyStore(gateway.services().database)
        other, _ = create_key(keys, caller="other-bot", roles=["bot"])
        admin, _ = create_key(keys, caller="site-admin", roles=["admin"])
        security, _ = create_key(keys, caller="sec", roles=["security_admin"])
        try:
            yield Site(gateway, other, admin, security)
        finally:
            server.stop()


def chat(gateway: Gateway, content: str = "hello", *, status: int = 200, **headers: str) -> str:
    sent = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}", **headers}
    sent = {k: v for k, v in sent.items() if v}  # an empty value: leave the header out
    response = httpx.post(gateway.base_url + "/chat/completions", headers=sent, timeout=60,
                          json={"model": "demo-chat", "messages": [{"role": "user", "content": content}]})
    assert response.status_code == status, response.text
    return response.headers["x-decision-id"]


def explanation(gateway: Gateway, decision_id: str, *, key: str | None = None, lang: str | None = None,
                raw: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key != "" else {}
    if key is None:
        headers = {"authorization": f"Bearer {gateway.officer_key}"}
    url = f"{gateway.base_url}/decisions/{decision_id}/explanation"
    if raw is not None:
        return httpx.get(url + raw, headers=headers, timeout=30)
    return httpx.get(url, params={"lang": lang} if lang else None, headers=headers, timeout=30)


def explained(gateway: Gateway, decision_id: str, lang: str = "en") -> dict[str, Any]:
    response = explanation(gateway, decision_id, lang=lang)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "decision.explanation" and body["decision_id"] == decision_id and body["lang"] == lang
    return body




# --- who may read it ------------------------------------------------------------------------


def test_readers_and_the_bot_itself_may_read_it_and_no_one_else(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    for key in (gateway.officer_key, site.security_key, site.admin_key, gateway.bot_key):
        assert explanation(gateway, decision, key=key).status_code == 200
    # Another bot gets what an unknown id gets: nothing says the decision exists.
    other = explanation(gateway, decision, key=site.other_bot_key)
    unknown = explanation(gateway, UNKNOWN_ID, key=site.other_bot_key)
    assert error_of(other, 404, code="decision_not_found") == error_of(unknown, 404, code="decision_not_found")
    assert decision not in other.text
    error_of(explanation(gateway, decision, key=""), 401)
    error_of(explanation(gateway, decision, key="gg_not-a-key"), 401)


def test_the_explanation_matches_the_record_it_explains(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway)
    record = httpx.get(f"{gateway.base_url}/decisions/{decision}", timeout=30,
                       headers={"authorization": f"Bearer {gateway.officer_key}"}).json()
    e = explained(gateway, decision)["explanation"]
    assert e["who"] == {"caller": "support-bot", "purpose": "customer-support", "kind": "chat", "model": "demo-chat",
                        "streamed": False, "conversation_id": None, "customer_pseudonym": record["customer_pseudonym"],
                        "customer_region": "US", "channel": None}
    assert e["verdict"]["allowed"] is True and e["verdict"]["stage"] == "completed"
    assert e["verdict"]["status_code"] == 200 and e["verdict"]["denied_by"] == []
    assert {r["rule_id"] for r in e["verdict"]["reasons"]} >= {"RES-011", "RTE-010"}
    assert e["policy"]["bundle_hash"] == record["policy"]["bundle_hash"] and e["policy"]["engine"] == "regorus"
    # The activation in force, read from policy_activations: at startup, before the decision.
    assert e["policy"]["activation_source"] == "startup"
    assert e["policy"]["activated_at"] <= e["created_at"]
    route = e["route"]
    assert route["deployment"] == record["route"]["deployment"] == "demo-chat-us"
    assert route["permitted_regions"][0] == "US" and set(route["permitted_regions"]) == {"US", "EU", "CN"}
    assert [r["rule_id"] for r in route["residency_reasons"]] == ["RES-011"]
    assert [(a["deployment"], a["outcome"], a["status"]) for a in route["attempts"]] == [("demo-chat-us", "ok", None)]
    assert route["failovers"] == 0
    assert e["timings"] == record["timings"] and e["features"] == record["features"]
    assert (e["features"]["language"], e["features"]["message_chars"], e["features"]["turns"]) == ("en", 5, 1)
    assert (e["seq"], e["record_hash"]) == (record["seq"], record["record_hash"])
    assert e["outcomes"] == [] and e["missing"] == [] and e["source"] == "gateway"


# --- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize("decision_id", ["%00", "dec_%00", "not-an-id", "dec_" + "g" * 32, "DEC_" + "0" * 32,
                                         quote("maria.gonzalez@example.com"), "x" * 5000])
def test_malformed_ids_are_400_without_echo(site: Site, decision_id: str) -> None:
    response = httpx.get(f"{site.gateway.base_url}/decisions/{decision_id}/explanation", timeout=30,
                         headers={"authorization": f"Bearer {site.gateway.officer_key}"})
    error_of(response, 400, param="decision_id")
    assert "maria" not in response.text


def test_an_unknown_decision_is_404(site: Site) -> None:
    response = explanation(site.gateway, UNKNOWN_ID)
    error_of(response, 404, code="decision_not_found")
    assert UNKNOWN_ID not in response.text


@pytest.mark.parametrize("raw", ["?lang=fr", "?lang=EN", "?lang=", "?lang=zh-CN", "?lang=%00", "?lang=zh&lang=en",
                                 "?language=zh", f"?{quote('maria.gonzalez@example.com')}=1"])
def test_a_bad_lang_or_another_parameter_is_400_without_echo(site: Site, raw: str) -> None:
    decision = chat(site.gateway)
    response = explanation(site.gateway, decision, raw=raw)
    error = error_of(response, 400)
    assert error["type"] == "invalid_request_error"
    assert "maria" not in response.text and "zh-CN" not in response.text and "fr" not in error["message"].split()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lang=st.text(st.characters(codec="utf-8"), max_size=30))
def test_no_lang_value_makes_a_5xx(site: Site, lang: str) -> None:
    response = explanation(site.gateway, UNKNOWN_ID, lang=lang or None)
    assert response.status_code in (400, 404), response.text
    if response.status_code == 400 and len(lang) > 3:
        assert json.dumps(lang)[1:-1] not in response.json()["error"]["message"]


# --- what it says ---------------------------------------------------------------------------


def test_a_denied_request_names_the_deny_rule_and_its_reason(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway, status=403, **{"X-Customer-Region": ""})  # no region: RES-001 denies
    body = explained(gateway, decision)
    verdict = body["explanation"]["verdict"]
    assert (verdict["allowed"], verdict["policy_decided"], verdict["stage"], verdict["status_code"],
            verdict["error_code"]) == (False, True, "policy", 403, "policy_denied")
    assert verdict["denied_by"] == [{"rule_id": "RES-001",
                                     "reason": "customer region is missing; residency cannot be decided"}]
    assert body["explanation"]["route"]["permitted"] == [] and body["explanation"]["route"]["attempts"] == []
    assert "denied" in body["text"] and "RES-001" in body["text"]
    assert "customer region is missing; residency cannot be decided" in body["text"]
    zh = explained(gateway, decision, "zh")
    assert "拒绝" in zh["text"] and "RES-001" in zh["text"]
    assert zh["explanation"] == body["explanation"]


def test_a_refusal_before_the_policy_has_no_verdict_and_names_its_stage(site: Site) -> None:
    gateway = site.gateway
    response = httpx.post(gateway.base_url + "/chat/completions", timeout=30, content=b"{not json",
                          headers={**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}",
                                   "content-type": "application/json"})
    assert response.status_code == 400
    body = explained(gateway, response.headers["x-decision-id"])
    verdict = body["explanation"]["verdict"]
    assert (verdict["allowed"], verdict["policy_decided"], verdict["stage"]) == (None, False, "request")
    assert body["explanation"]["policy"]["activated_at"] is None
    assert "before the policy decided" in body["text"] and "while the request was read" in body["text"]
    assert "No policy ran" in body["text"]
    assert "策略作出决定之前" in explained(gateway, response.headers["x-decision-id"], "zh")["text"]


RESIDENT_ID = "11010519491231002X"  # a valid check digit


def test_a_pseudonymised_finding_names_its_type_recognizer_and_action(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway, f"My ID number is {RESIDENT_ID}, please check my account")
    body = explained(gateway, decision)
    [finding] = [f for f in body["explanation"]["pii"] if f["entity_type"] == "CN_RESIDENT_ID"]
    assert finding["direction"] == "request" and finding["location"] == "messages[0].content"
    assert (finding["start"], finding["end"]) == (16, 16 + len(RESIDENT_ID))
    assert finding["recognizer"] == "CnResidentIdRecognizer" and finding["checksum_valid"] is True
    # customer-support pseudonymises national ids (the caller gets its own value back).
    assert finding["action"] == "pseudonymise" and finding["action_rule_id"] == "PII-010"
    assert 0 < finding["score"] <= 1
    text = body["text"]
    assert "CN_RESIDENT_ID" in text and "CnResidentIdRecognizer" in text and "pseudonymised (rule PII-010)" in text
    assert "checksum passed" in text
    zh = explained(gateway, decision, "zh")["text"]
    assert "CN_RESIDENT_ID" in zh and "CnResidentIdRecognizer" in zh and "假名化（规则 PII-010）" in zh
    assert RESIDENT_ID not in json.dumps(body) and RESIDENT_ID not in zh


def test_a_context_word_that_raised_a_score_is_named(site: Site) -> None:
    decision = chat(site.gateway, "客户的电话 13912345678，请回电")
    [phone] = [f for f in explained(site.gateway, decision)["explanation"]["pii"]
               if f["entity_type"] == "PHONE_NUMBER"]
    assert phone["context_word"] == "电话" and phone["context_boost"] > 0
    assert phone["score"] > phone["original_score"] and phone["action"] == "pseudonymise"


def test_chinese_text_is_chinese_and_english_text_is_not(site: Site) -> None:
    decision = chat(site.gateway)
    en, zh = explained(site.gateway, decision)["text"], explained(site.gateway, decision, "zh")["text"]
    assert not CJK.search(en)
    for words in ("决策", "调用方", "策略允许了该请求", "耗时（毫秒）", "请求特征", "尚无结果报告"):
        assert words in zh
    # Apart from ids, names and rule reasons quoted as the policy wrote them (ASCII), every
    # word is Chinese, and there are many.
    unquoted = re.sub(r"“[^”]*”|[\x00-\x7f]", "", zh)
    assert [c for c in unquoted if unicodedata.category(c).startswith("L") and not CJK.match(c)] == []
    assert len(CJK.findall(unquoted)) > 100


def test_outcomes_appear_once_reported(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway, **{"X-Conversation-Id": f"conv-{uuid.uuid4().hex[:8]}"})
    assert explained(gateway, decision)["explanation"]["outcomes"] == []
    reported = httpx.post(gateway.base_url + "/outcomes", timeout=30,
                          headers={"authorization": f"Bearer {gateway.bot_key}"},
                          json={"outcome_id": f"out-{uuid.uuid4().hex[:8]}", "decision_id": decision,
                                "outcome": "refund_granted", "csat": 5})
    assert reported.status_code == 201, reported.text
    stored = reported.json()
    body = explained(gateway, decision)
    assert body["explanation"]["outcomes"] == [{
        "outcome": "refund_granted", "csat": 5, "occurred_at": stored["occurred_at"], "occurred_at_reported": False,
        "recorded_at": stored["recorded_at"], "reported_by": "support-bot", "attached_to": "decision",
        "seq": stored["seq"]}]
    assert "refund_granted (CSAT 5)" in body["text"] and "reported by support-bot" in body["text"]
    assert "refund_granted" in explained(gateway, decision, "zh")["text"]
    # The bot reads its own decision's explanation, outcome included.
    own = explanation(gateway, decision, key=gateway.bot_key)
    assert own.status_code == 200 and own.json()["explanation"]["outcomes"][0]["outcome"] == "refund_granted"


# --- never a value --------------------------------------------------------------------------

# What the caller sent: none of it may come back, in any form the test can think of.
SECRETS = {
    "english name": "Maria Gonzalez",
    "chinese name": "张伟明",
    "email": "maria.gonzalez@example.com",
    "card": "4111 1111 1111 1111",
    "cn phone": "13812345678",
    "us phone": "415-555-0134",
    "resident id": RESIDENT_ID,
    "customer id": "CUST-778812",
    "conversation id": "conv-maria-778812",
}
FRAGMENTS = ("Maria", "maria", "Gonzalez", "张伟", "伟明", "4111", "1111 1111", "13812345678", "415-555",
             "5550134", "1101051949", "1231002X", "778812")


def test_no_pii_value_reaches_the_explanation(site: Site) -> None:
    gateway = site.gateway
    content = (f"Hi, I am {SECRETS['english name']} ({SECRETS['email']}), my card is {SECRETS['card']}, "
               f"call {SECRETS['us phone']}. 我叫{SECRETS['chinese name']}，电话{SECRETS['cn phone']}，"
               f"身份证号{SECRETS['resident id']}。")
    decision = chat(gateway, content, **{"X-Customer-Id": SECRETS["customer id"],
                                         "X-Conversation-Id": SECRETS["conversation id"], "X-Channel": "chat"})
    for lang in ("en", "zh"):
        response = explanation(gateway, decision, lang=lang)
        assert response.status_code == 200
        body = response.json()
        found = {f["entity_type"] for f in body["explanation"]["pii"]}
        # The request did carry them: the explanation speaks of them, by type only.
        assert {"PERSON", "EMAIL_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER", "CN_RESIDENT_ID"} <= found
        for text in (response.text, json.dumps(body, ensure_ascii=False), body["text"]):
            # Hex digests (hashes, pseudonyms) out first: a random one may hold "4111" now and then.
            searched = HEX_RUN.sub("", text)
            for name, value in SECRETS.items():
                assert value not in searched, name
                assert value.replace(" ", "") not in searched, name
            for fragment in FRAGMENTS:
                assert fragment not in searched, fragment


# --- the CLI --------------------------------------------------------------------------------


def govgate(gateway: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVGATE_DATA_DIR": str(gateway.settings.data_dir),
           "GOVGATE_POLICY_DIR": str(gateway.policy_dir),
           "GOVGATE_DATABASE_URL": gateway.settings.effective_database_url}
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_cli_prints_what_the_api_answers(site: Site) -> None:
    gateway = site.gateway
    decision = chat(gateway, f"My ID number is {RESIDENT_ID}")
    httpx.post(gateway.base_url + "/outcomes", timeout=30, headers={"authorization": f"Bearer {gateway.bot_key}"},
               json={"outcome_id": f"out-{uuid.uuid4().hex[:8]}", "decision_id": decision, "outcome": "resolved"})
    for lang in ("en", "zh"):
        api = explained(gateway, decision, lang)
        printed = govgate(gateway, "decisions", "explain", decision, "--json", "--lang", lang)
        assert printed.returncode == 0, printed.stderr
        cli = json.loads(printed.stdout)
        assert cli["explanation"] == api["explanation"]
        assert cli == api
        plain = govgate(gateway, "decisions", "explain", decision, "--lang", lang)
        assert plain.returncode == 0 and plain.stdout.strip() == api["text"]


def test_the_cli_refuses_an_unknown_id(site: Site) -> None:
    for decision_id in (UNKNOWN_ID, "maria.gonzalez@example.com"):
        printed = govgate(site.gateway, "decisions", "explain", decision_id)
        assert printed.returncode != 0 and "no such decision" in printed.stderr
        assert "maria" not in printed.stderr and printed.stdout == ""
