"""The official OpenAI SDK, unchanged but for base_url, against a live gateway over real HTTP."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import SUPPORT_HEADERS, Gateway

MESSAGE = "Hi, I am Maria Gonzalez, e-mail maria.gonzalez@example.com, card 4111 1111 1111 1111. Refund please."


def client(gateway: Gateway, key: str | None = None, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=key or gateway.bot_key,
                         default_headers={**SUPPORT_HEADERS, **headers}, max_retries=0)


def decision(gateway: Gateway, decision_id: str) -> dict:
    response = httpx.get(f"{gateway.base_url}/decisions/{decision_id}",
                         headers={"authorization": f"Bearer {gateway.officer_key}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_chat_completion_pseudonymises_upstream_and_restores_for_the_caller(gateway: Gateway) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(
        model="demo-chat", messages=[{"role": "user", "content": MESSAGE}]
    )
    completion = raw.parse()
    # The demo upstream echoes what it received: names, e-mail and the card (pseudonymised
    # for customer-support) come back restored to the caller.
    answer = completion.choices[0].message.content
    assert "Maria Gonzalez" in answer and "maria.gonzalez@example.com" in answer
    assert "4111 1111 1111 1111" in answer
    assert completion.model == "demo-chat"

    sent = gateway.received()[-1]["messages"][-1]["content"]
    assert "Maria Gonzalez" not in sent and "maria.gonzalez@example.com" not in sent
    assert "<PERSON_1>" in sent and "<EMAIL_ADDRESS_1>" in sent and "<CREDIT_CARD_1>" in sent
    assert "1111" not in sent

    assert raw.headers["x-govgate-region"] == "US"
    assert raw.headers["x-govgate-deployment"] == "demo-chat-us"
    record = decision(gateway, raw.headers["x-decision-id"])
    assert record["status_code"] == 200 and record["allowed"] is True
    # Request findings sit under `messages[…]`, the answer guard's under `choices[…]`; nothing else.
    request = [f for f in record["findings"] if f["location"].startswith("messages[")]
    answer_findings = [f for f in record["findings"] if f["location"].startswith("choices[")]
    assert len(request) + len(answer_findings) == len(record["findings"])
    assert {f["entity_type"]: f["action"] for f in request} == {
        "PERSON": "pseudonymise", "EMAIL_ADDRESS": "pseudonymise", "CREDIT_CARD": "pseudonymise",
    }
    assert {f["location"] for f in request} == {"messages[0].content"}
    # The echoed answer carries only tokens: the output scan finds nothing in it.
    assert answer_findings == []
    assert record["customer_attributes"]["gender"] == "female"
    assert record["customer_pseudonym"] and record["customer_pseudonym"] != "cust-0042"
    assert record["route"]["deployment"] == "demo-chat-us"
    assert record["timings"]["upstream_total"] > 0 and record["timings"]["overhead"] >= 0
    assert record["policy"]["bundle_hash"]
    # No raw PII and no raw customer id anywhere in the stored record.
    stored = str(record)
    for value in ("Maria", "maria.gonzalez@example.com", "4111 1111", "cust-0042"):
        assert value not in stored


def test_attributes_are_never_forwarded(gateway: Gateway) -> None:
    client(gateway).chat.completions.create(model="demo-chat", messages=[{"role": "user", "content": "hello"}])
    body = gateway.received()[-1]
    assert "female" not in str(body) and "gold" not in str(body)


def test_streaming_stays_a_stream_and_restores_split_tokens(gateway: Gateway) -> None:
    message = "Please call Maria Gonzalez back at maria.gonzalez@example.com about the refund for Bob Miller."
    with client(gateway).chat.completions.with_streaming_response.create(
        model="demo-chat", messages=[{"role": "user", "content": message}], stream=True,
        stream_options={"include_usage": True},
    ) as raw:
        decision_id = raw.headers["x-decision-id"]
        chunks = list(raw.parse())
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(contents) == message
    # Many chunks, not one: the upstream streams 1-4 characters at a time and the gateway
    # releases a few words at a time (it holds back only what may still become PII or a token).
    assert len(contents) >= len(message) // 40
    assert any(c.usage for c in chunks)
    sent = gateway.received()[-1]["messages"][-1]["content"]
    assert "Maria" not in sent and "<PERSON_1>" in sent
    record = decision(gateway, decision_id)
    assert record["streamed"] is True and record["status_code"] == 200
    assert record["timings"]["upstream_ttft"] is not None
    assert record["usage"]["total_tokens"] > 0


def test_conversation_pseudonyms_stay_consistent_across_turns(gateway: Gateway) -> None:
    sdk = client(gateway, **{"X-Conversation-Id": "conv-1"})
    sdk.chat.completions.create(model="demo-chat", messages=[{"role": "user", "content": "I am Maria Gonzalez."}])
    first = gateway.received()[-1]["messages"][-1]["content"]
    sdk.chat.completions.create(model="demo-chat", messages=[
        {"role": "user", "content": "I am Maria Gonzalez."},
        {"role": "assistant", "content": "I am Maria Gonzalez."},
        {"role": "user", "content": "Also my colleague Bob Miller, and Maria Gonzalez again."},
    ])
    second = gateway.received()[-1]["messages"]
    token = first.split()[-1].rstrip(".")
    assert token == "<PERSON_1>"
    assert second[0]["content"] == first
    assert "<PERSON_1>" in second[2]["content"] and "<PERSON_2>" in second[2]["content"]
    # The history was analysed once: the repeated message came from the conversation cache.
    assert gateway.services().detector.cache_hits >= 1


def test_embeddings(gateway: Gateway) -> None:
    result = client(gateway).embeddings.create(model="demo-embed", input=["refund for Maria Gonzalez", "hello"])
    assert len(result.data) == 2 and len(result.data[0].embedding) == 64
    assert gateway.received()[-1]["input"][0] == "refund for <PERSON_1>"


def test_models_lists_what_the_caller_may_use(gateway: Gateway) -> None:
    models = sorted(model.id for model in client(gateway).models.list())
    assert models == ["demo-chat", "demo-embed"]


def test_denied_purpose_is_403_with_rule_ids_and_recorded(gateway: Gateway) -> None:
    with pytest.raises(openai.PermissionDeniedError) as raised:
        client(gateway, **{"X-Purpose": "credit-scoring"}).chat.completions.create(
            model="demo-chat", messages=[{"role": "user", "content": "hello"}]
        )
    error = raised.value.body
    assert error["code"] == "policy_denied" and error["rule_ids"]
    # A purpose the policy does not list is named by its keyed hash, never echoed.
    assert "credit-scoring" not in raised.value.response.text and "unlisted:" in error["message"]
    record = decision(gateway, raised.value.response.headers["x-decision-id"])
    assert record["status_code"] == 403 and record["allowed"] is False
    assert record["route"]["attempts"] == []
    assert gateway.received() == []


def test_unknown_key_is_401(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(gateway, key="gg_nope_nope").models.list()


def test_eu_customer_goes_to_the_eu_deployment(gateway: Gateway) -> None:
    raw = client(gateway, **{"X-Customer-Region": "EU"}).chat.completions.with_raw_response.create(
        model="demo-chat", messages=[{"role": "user", "content": "hello"}]
    )
    assert raw.headers["x-govgate-region"] == "EU"


def test_a_bots_system_prompt_is_analysed_once(gateway: Gateway) -> None:
    system = {"role": "system", "content": "You are the support assistant of Example Bank. Be brief and polite."}
    sdk = client(gateway)
    detector = gateway.services().detector
    for question in ("Where is my card?", "How do I reset my PIN?"):
        sdk.chat.completions.create(model="demo-chat", messages=[system, {"role": "user", "content": question}])
    assert detector.cache_hits == 1
    # Another service does not share that cache (no timing side channel between callers).
    from gateway.auth import create_key
    from gateway.store.keys import KeyStore

    other_key, _ = create_key(KeyStore(gateway.services().database), caller="other-bot", roles=["bot"])
    client(gateway, key=other_key).chat.completions.create(
        model="demo-chat", messages=[system, {"role": "user", "content": "Hi"}])
    assert detector.cache_hits == 1
