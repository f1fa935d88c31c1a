"""SecretRecognizer: provider tokens, PEM keys, JWTs, keyword + entropy, and what is no secret."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.benchmarks.pii_sets.secrets import ordinary_messages
from gateway.pii.recognizers.secrets import SecretRecognizer, jwt_valid, looks_random, shannon_entropy
from tests.pii.conftest import spans

RECOGNIZER = SecretRecognizer(supported_language="en")
RNG = random.Random(5)
B62 = string.ascii_letters + string.digits


def body(n: int, alphabet: str = B62) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def found(text: str) -> list[tuple[str, str]]:
    return [(text[r.start : r.end], r.analysis_explanation.pattern_name) for r in RECOGNIZER.analyze(text, ["SECRET"])]


def b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


JWT = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': '42', 'name': 'x'})}.{body(43, B62 + '-_')}"
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + body(64) + "\n" + body(40) + "\n-----END RSA PRIVATE KEY-----"

PROVIDERS = [
    ("aws_access_key_id", "AKIA" + body(16, string.ascii_uppercase + string.digits)),
    ("aws_access_key_id", "ASIA" + body(16, string.ascii_uppercase + string.digits)),
    ("github_token", "ghp_" + body(36)),
    ("github_token", "gho_" + body(36)),
    ("github_token", "ghs_" + body(36)),
    ("github_fine_grained_pat", "github_pat_" + body(22) + "_" + body(59)),
    ("gitlab_token", "glpat-" + body(20, B62 + "-_")),
    ("slack_token", "xoxb-123456789012-1234567890123-" + body(24)),
    ("slack_token", "xoxp-" + body(30)),
    ("slack_webhook", "https://hooks.slack.com/services/T0000000/B0000000/" + body(24)),
    ("stripe_key", "sk_live_" + body(24)),
    ("stripe_key", "rk_live_" + body(24)),
    ("google_api_key", "AIza" + body(35, B62 + "-_")),
    ("openai_key", "sk-" + body(20) + "T3BlbkFJ" + body(20)),
    ("openai_key", "sk-proj-" + body(74, B62 + "-_")),
    ("anthropic_key", "sk-ant-api03-" + body(93, B62 + "-_")),
    ("huggingface_token", "hf_" + body(34, string.ascii_letters)),
    ("npm_token", "npm_" + body(36)),
    ("sendgrid_key", "SG." + body(22) + "." + body(43)),
    ("azure_storage_key", "AccountKey=" + body(86, B62 + "+/") + "=="),
    ("jwt", JWT),
    ("private_key", PEM),
]


@pytest.mark.parametrize(("name", "token"), PROVIDERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PROVIDERS)])
@pytest.mark.parametrize("template", ["Here is the key: {} - why 401?", "export TOKEN={}\n", "你好，这是凭证{}，谢谢", "'{}'"])
def test_each_provider_format(name, token, template):
    text = template.format(token)
    assert (token, name) in found(text)


def test_pem_without_end_line_runs_to_the_end_of_the_body():
    text = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n\nthanks"
    [(value, name)] = found(text)
    assert name == "private_key" and value.endswith("BAQC7") and "thanks" not in value


def test_jwt_parts_must_decode_to_json():
    assert jwt_valid(JWT)
    fake = "eyJhbGciOiJub25lIn0x.eyJzdWIiOjF9xx.abc"
    assert not jwt_valid(fake) and found(f"see {fake}") == []
    assert found("eyJ" + "a" * 20 + "." + "b" * 20 + "." + "c" * 20) == []


@pytest.mark.parametrize(("text", "value"), [
    ("my password is Summer2024", "Summer2024"),
    ("password: xK9#mq2!", "xK9#mq2"),
    ("api_key=\"Zx9pQ2mN8vL4kR7tW3\"", "Zx9pQ2mN8vL4kR7tW3"),
    ("Authorization: Bearer " + (BEARER := body(40, B62 + "-_")), BEARER),
    ("client secret: 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c", "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"),
    ("密码是abc12345谢谢", "abc12345"),
    ("银行卡密码：864209", "864209"),
    ("密钥 Q7fz2LmP9xKw4RtY8vBn", "Q7fz2LmP9xKw4RtY8vBn"),
    ("令牌：mZ8qL2xV7nK4pR9t", "mZ8qL2xV7nK4pR9t"),
    ("api key: 0b6c3d1e-8f4a-4c2b-9e7d-5a1f3c8b2d6e", "0b6c3d1e-8f4a-4c2b-9e7d-5a1f3c8b2d6e"),
])
def test_random_value_after_a_credential_word(text, value):
    assert (value, "keyword_secret") in found(text)


@pytest.mark.parametrize("text", [
    "I forgot my password and the reset link expired.",
    "the token is expired, how do I refresh it?",
    "Where do I find my API key in the dashboard?",
    "The key issue: 12345678 orders were late.",
    "password reset for maria please",
    "my secret is chocolate",
    "Request id 123e4567-e89b-12d3-a456-426614174000 failed",  # a UUID alone is no secret
    "tracking 1Z999AA10123456784, order #88421190, total $129.90",
    "Deployed commit 3f2a9c8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a yesterday",
    "SKU ABC-123-X9Z2 and coupon SAVE20NOW",
    "the monkey ate keys",
    "task-force-management-planning-2024-q3",
    "see sk-learn-tutorial-for-beginners-part-two",
    "密码忘了，怎么重置？",
])
def test_ordinary_text_holds_no_secret(text):
    assert found(text) == []


def test_entropy_and_randomness():
    assert shannon_entropy("aaaa") == 0.0
    assert looks_random("Zx9pQ2mN8vL4kR7t", password=False)
    assert not looks_random("password1", password=False)  # low entropy for a key
    assert not looks_random("expired", password=True)
    assert looks_random("123456", password=True)


@settings(max_examples=200, deadline=None)
@given(st.text(B62, min_size=36, max_size=36), st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]))
def test_property_any_github_classic_token(tail, prefix):
    token = prefix + tail
    assert (token, "github_token") in found(f"token {token}.")


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=400))
def test_property_never_crashes_and_spans_are_in_the_text(text):
    for result in RECOGNIZER.analyze(text, ["SECRET"]):
        assert 0 <= result.start < result.end <= len(text)


def test_false_positives_on_ordinary_support_text_at_most_one_percent(blank_engine):
    messages = ordinary_messages(random.Random("test"), 400)
    flagged = [m["full_text"] for m in messages
               if any(f.entity_type == "SECRET" for f in blank_engine.analyze(m["full_text"]))]
    assert len(flagged) <= 4, flagged[:3]


def test_engine_reports_secret_with_its_provider(blank_engine):
    token = "ghp_" + body(36)
    text = f"Hi, my token {token} stopped working. 谢谢"
    [finding] = [f for f in blank_engine.analyze(text) if f.entity_type == "SECRET"]
    assert text[finding.start : finding.end] == token
    assert finding.explanation.pattern_name == "github_token"
    assert spans(text, blank_engine.analyze(text), "PHONE_NUMBER") == []


def test_huge_input_is_fine():
    text = ("ghp_" + body(36) + " ") * 2000 + "-----BEGIN PRIVATE KEY-----" + "A" * 50_000
    results = RECOGNIZER.analyze(text, ["SECRET"])
    assert len(results) == 2001
