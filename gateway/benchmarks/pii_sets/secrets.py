"""Credentials of many providers in prompts, and ordinary support text that holds none.

Positives: each provider's documented token format (prefix, alphabet, length) with a random
body, a PEM private key block, a JWT whose header and payload are JSON, and random values
after a credential word (api key, token, secret, password, 密钥, 令牌, 密码), in English and
Chinese messages, labelled SECRET. Negatives (every third message, no label): order and
tracking numbers, amounts, UUIDs, SKUs, coupon codes, ticket ids, commit hashes, and
credential words without a credential ("I forgot my password", "the token expired").

Formats are written from the providers' documentation, not from the recognizer:
`gateway.pii.recognizers` is never imported here.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable

from gateway.benchmarks.pii_sets.build import labelled

B62 = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64URL = B62 + "-_"
HEX = "0123456789abcdef"


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def _jwt(rng: random.Random) -> str:
    header = {"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
    payload = {"sub": str(rng.randint(1, 10**9)), "iat": rng.randint(1_600_000_000, 1_800_000_000),
               "role": rng.choice(["user", "admin"])}
    return f"{_b64url(header)}.{_b64url(payload)}.{_r(rng, B64URL, rng.choice([43, 86, 342]))}"


def _pem(rng: random.Random) -> str:
    kind = rng.choice(["RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED ", "DSA "])
    lines = [_r(rng, B62 + "+/", 64) for _ in range(rng.randint(2, 6))]
    return f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(lines) + f"\n-----END {kind}PRIVATE KEY-----"


# provider -> writer of one token
PROVIDERS: dict[str, Callable[[random.Random], str]] = {
    "aws_access_key_id": lambda r: r.choice(["AKIA", "ASIA"]) + _r(r, UPPER_DIGITS, 16),
    "github_classic": lambda r: r.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + _r(r, B62, 36),
    "github_fine_grained": lambda r: "github_pat_" + _r(r, B62, 22) + "_" + _r(r, B62, 59),
    "gitlab_pat": lambda r: "glpat-" + _r(r, B62 + "-_", 20),
    "slack": lambda r: f"xox{r.choice('baprs')}-{r.randint(10**9, 10**12)}-{r.randint(10**9, 10**12)}-{_r(r, B62, 24)}",
    "stripe": lambda r: r.choice(["sk_live_", "rk_live_", "sk_test_"]) + _r(r, B62, r.choice([24, 99])),
    "google_api_key": lambda r: "AIza" + _r(r, B62 + "-_", 35),
    "openai_legacy": lambda r: "sk-" + _r(r, B62, 20) + "T3BlbkFJ" + _r(r, B62, 20),
    "openai_project": lambda r: "sk-proj-" + _r(r, B64URL, r.choice([48, 74, 156])),
    "anthropic": lambda r: "sk-ant-api03-" + _r(r, B64URL, 93) + "AA",
    "huggingface": lambda r: "hf_" + _r(r, string.ascii_letters, 34),
    "npm": lambda r: "npm_" + _r(r, B62, 36),
    "sendgrid": lambda r: "SG." + _r(r, B64URL, 22) + "." + _r(r, B64URL, 43),
    "azure_storage": lambda r: "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
    + _r(r, B62 + "+/", 86) + "==",
    "jwt": _jwt,
    "private_key": _pem,
}

KEYWORD_VALUES: list[tuple[str, Callable[[random.Random], str]]] = [
    ("api key", lambda r: _r(r, B62, 32)),
    ("API_KEY=", lambda r: _r(r, HEX, 32)),
    ("client_secret:", lambda r: _r(r, B64URL, 40)),
    ("access token", lambda r: _r(r, B62, 40)),
    ("password:", lambda r: _r(r, string.ascii_letters, 6) + _r(r, string.digits, 3) + r.choice("!#$%")),
    ("my password is", lambda r: r.choice(["Summer", "Dragon", "Winter", "Qwerty"]) + str(r.randint(1990, 2025)) + "#"),
    ("Authorization: Bearer", lambda r: _r(r, B64URL, 48)),
    ("密钥", lambda r: _r(r, B62, 32)),
    ("令牌：", lambda r: _r(r, B62, 40)),
    ("密码是", lambda r: _r(r, string.ascii_lowercase, 4) + _r(r, string.digits, 4)),
    ("api key:", lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4))),
]

EN_TEMPLATES = [
    "Hi, our integration broke. Here is the key we use: {secret} — can you check it?",
    "```\nexport TOKEN={secret}\n```\nwhy does this fail?",
    "I pasted {secret} into the config and now I get 401.",
    "Is this still valid? {secret}",
    "config = {{\"auth\": \"{secret}\"}}",
]
ZH_TEMPLATES = ["你好，这是我们的凭证{secret}，帮我看看为什么报错。", "配置文件里写的是 {secret} ，调用一直失败。"]
KEYWORD_TEMPLATES_EN = [
    "Please log in for me, {kw} {secret} thanks", "Here you go - {kw} {secret}", "{kw} {secret}\nuser: admin",
]
KEYWORD_TEMPLATES_ZH = ["帮我登录一下，{kw}{secret}，谢谢。", "我的{kw} {secret} 不能用了"]


def _negative(rng: random.Random) -> str:
    order = f"{rng.randint(10**6, 10**9)}"
    pieces = [
        f"My order #{order} has not arrived, the tracking number is 1Z{_r(rng, UPPER_DIGITS, 16)}.",
        f"I was charged ${rng.randint(5, 999)}.{rng.randint(0, 99):02d} twice on invoice "
        f"INV-{rng.randint(1000, 99999)}.",
        f"Request id {uuid.UUID(int=rng.getrandbits(128), version=4)} failed with error 500.",
        f"SKU {_r(rng, string.ascii_uppercase, 3)}-{rng.randint(100, 999)}-{_r(rng, UPPER_DIGITS, 4)} is out of stock.",
        f"The coupon {rng.choice(['SAVE20NOW', 'WELCOME10', 'BLACKFRIDAY25'])} does not work.",
        "I forgot my password and the reset link expired.",
        "The access token expired again, how do I refresh it?",
        "Where do I find my API key in the dashboard?",
        f"Ticket INC{rng.randint(10**6, 10**7)} was closed without a reply.",
        f"Deployed commit {_r(rng, HEX, 40)} yesterday and the page is blank.",
        f"您好，我的订单号是{order}，快递单号SF{rng.randint(10**11, 10**12)}，一直没有更新。",
        "我忘记密码了，怎么重置？验证码一直收不到。",
        f"Package {rng.randint(10**11, 10**12)} (FedEx) shows delivered but I never got it.",
        f"My account username is maria_{rng.randint(10, 99)} and the password reset email never came.",
        f"Color code #{_r(rng, HEX, 6)} looks wrong on the invoice PDF.",
    ]
    rng.shuffle(pieces)
    return " ".join(pieces[: rng.randint(2, 4)])


def secret_messages(rng: random.Random, n: int) -> list[dict]:
    """`n` messages: two in three hold one credential (every provider in turn, then the
    keyword forms), one in three is ordinary support text with none."""
    providers = sorted(PROVIDERS)
    samples = []
    for i in range(n):
        if i % 3 == 2:
            samples.append({"full_text": _negative(rng), "spans": []})
            continue
        k = (i - i // 3) % (len(providers) + len(KEYWORD_VALUES))
        if k < len(providers):
            secret = PROVIDERS[providers[k]](rng)
            zh = rng.random() < 0.3
            template = rng.choice(ZH_TEMPLATES if zh else EN_TEMPLATES)
            samples.append(labelled(template, {"secret": secret}, {"secret": "SECRET"}))
        else:
            keyword, make = KEYWORD_VALUES[k - len(providers)]
            zh = any("\u4e00" <= c <= "\u9fff" for c in keyword)
            template = rng.choice(KEYWORD_TEMPLATES_ZH if zh else KEYWORD_TEMPLATES_EN)
            samples.append(labelled(template, {"kw": keyword, "secret": make(rng)}, {"secret": "SECRET"}))
    return samples


def ordinary_messages(rng: random.Random, n: int) -> list[dict]:
    """`n` ordinary support messages with no credential (for the false-positive rate)."""
    return [{"full_text": _negative(rng), "spans": []} for _ in range(n)]


SETS: dict[str, Callable[[random.Random, int], list[dict]]] = {
    "secrets": secret_messages,
    "secrets_ordinary_text": ordinary_messages,
}
