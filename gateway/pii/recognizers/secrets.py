"""Credentials in a prompt: one entity type, SECRET, the provider in the explanation.

A leaked API key is not personal data but is worse to forward: whoever reads the upstream's
logs can use it. The policy acts on the family (SECRET → redact for every purpose, never
restored); which kind of key it was is the pattern name in the finding's explanation
(`pattern_name`: "github_token", "aws_access_key_id", "jwt", "keyword_secret" …), so one
policy rule covers every provider, and a new provider is a new pattern, not a new type.

Patterns follow the providers' documented formats (the same ones detect-secrets and
gitleaks publish). detect-secrets itself is not used on the hot path: its `scan_line` runs
~25 plugins one regex at a time (2.5 ms for a 240-character message on this machine,
half the English budget), reports values rather than offsets, and its entropy plugins flag
every quoted word. Here all provider patterns are one alternation, read in one pass.

* prefixed tokens (score 1.0): AWS access key ids (AKIA/ASIA/ABIA/ACCA/A3T…), GitHub
  (ghp_/gho_/ghu_/ghs_/ghr_, github_pat_), GitLab (glpat- and the other gl…- tokens), Slack
  (xox[abposr]-, xapp-, webhook URLs), Stripe secret/restricted keys (sk_/rk_ live/test;
  publishable pk_ keys are public), Google API keys (AIza…), OpenAI (sk-, sk-proj-,
  sk-svcacct-, sk-admin-), Anthropic (sk-ant-), Hugging Face (hf_), npm (npm_), PyPI
  (pypi-AgEI…), SendGrid (SG.…), Shopify (shpat_…), Azure storage account keys
  (AccountKey=…) and SAS signatures (sig=…);
* PEM private keys: `-----BEGIN … PRIVATE KEY-----` up to its END line (or the end of the
  base64 body when the END line is missing);
* JWTs: three base64url parts, the first two decoding to JSON objects;
* a value right after a credential word (key, token, secret, password, api_key, bearer,
  密钥, 令牌, 密码, 口令 …, then `:`, `=`, "is", 是, 为): reported when it looks random
  (letters and digits or symbols, at least 8 characters, Shannon entropy ≥ 3 bits per
  character; letters only: 20+ characters, mixed case, entropy ≥ 4; passwords at least 6
  characters with a digit, or letters and a symbol, so a 6-digit PIN after 密码 counts). 0.8.

Not reported: UUIDs, order, tracking and ticket numbers on their own. A UUID is far more
often an order, request or trace id than a key in support text; after a credential word
("api key: 0b6c…") the keyword rule reports it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import Counter

import regex
from presidio_analyzer import EntityRecognizer, Pattern, RecognizerResult

from gateway.pii.recognizers.base import GovPatternRecognizer, explained_result

_L = r"(?<![A-Za-z0-9_\-])"
_R = r"(?![A-Za-z0-9_\-])"

# name -> regex of the value; one named group each in the alternation.
PROVIDER_PATTERNS: dict[str, str] = {
    "aws_access_key_id": r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
    "github_token": _L + r"gh[pousr]_[A-Za-z0-9]{36,251}" + _R,
    "github_fine_grained_pat": _L + r"github_pat_[A-Za-z0-9_]{22,255}" + _R,
    "gitlab_token": _L + r"(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas)-[A-Za-z0-9_\-]{20,1024}"
    + r"(?:\.[A-Za-z0-9_\-]{2,})*" + _R,
    "slack_token": _L + r"xox[abposr]-[A-Za-z0-9\-]{10,250}" + _R,
    "slack_app_token": _L + r"xapp-\d-[A-Za-z0-9\-]{10,250}" + _R,
    "slack_webhook": r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_/\-]{20,200}",
    "stripe_key": _L + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}" + _R,
    "google_api_key": r"(?<![A-Za-z0-9_\-])AIza[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])",
    "anthropic_key": _L + r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{32,200}" + _R,
    "openai_key": _L + r"sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,200}" + _R,
    "huggingface_token": _L + r"hf_[A-Za-z0-9]{30,40}" + _R,
    "npm_token": _L + r"npm_[A-Za-z0-9]{36}" + _R,
    "pypi_token": _L + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}" + _R,
    "sendgrid_key": _L + r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}" + _R,
    "shopify_token": _L + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _R,
    "azure_storage_key": r"(?i:AccountKey)=[A-Za-z0-9+/]{86}==",
    "azure_sas_signature": r"(?<![A-Za-z0-9])sig=[A-Za-z0-9%+/]{40,120}(?:%3D|=){0,2}",
    "private_key": r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.{0,20000}?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    # no END line: the base64 lines (16+ characters each, real or "\\n" line breaks)
    r"|(?:(?:\s|\\n){0,4}[A-Za-z0-9+/=]{16,}){0,400})",
    "jwt": _L + r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*" + _R,
}

# Where provider tokens can be: runs of token characters at least 16 long (a Slack webhook
# URL is one run from "https:", an Azure connection string's key from "AccountKey=").
_CANDIDATE = regex.compile(r"[A-Za-z0-9_\-+/=.%:]{16,}", regex.ASCII)

# Words after which the next token is a credential; then ":", "=", "is", 是/为, quotes.
_KEYWORDS_EN = (
    r"(?:api|access|secret|private|client|app|auth|session|refresh|bearer|personal)?[ _.\-]?"
    r"(?:keys?|tokens?|secrets?|passwords?|passwd|pwd|passphrase|credentials?)|bearer|authorization"
)
_KEYWORDS_ZH = r"密钥|秘钥|令牌|密码|口令|私钥|访问密钥|授权码"
_KEYWORD_VALUE = regex.compile(
    r"(?:(?<![A-Za-z])(?P<kw>" + _KEYWORDS_EN + r")(?![A-Za-z])|(?P<kwzh>" + _KEYWORDS_ZH + r"))"
    r"(?:\s?(?:id|ID))?"
    r"[\"']?\s{0,3}(?:[:=]\s?(?:bearer|basic|token)\s|:|=|：|是|为|is|was)?\s{0,3}[\"'`]?\s{0,2}"
    r"(?P<value>[A-Za-z0-9_\-+/=.~!@#$%^*]{6,200})",
    regex.IGNORECASE,
)
_TRAILING = ".,;:!?)'\"`"

PROVIDER_SCORE = 1.0
KEYWORD_SCORE = 0.8
MIN_ENTROPY = 3.0
LETTERS_ONLY_ENTROPY = 4.0


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_random(value: str, *, password: bool) -> bool:
    """Mixed character classes and, for keys and tokens, high entropy: "sk3yQ9…" yes,
    "reset", "12345678", "expired" no."""
    has_letter = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    if password:
        # "Summer2024!", "abc12345", and a 6+ digit PIN ("密码123456"); not "reset", "expired".
        return len(value) >= 6 and (has_digit or (has_letter and has_symbol))
    if has_letter and not (has_digit or has_symbol):
        # Letters only: a long mixed-case random string ("LAgmTtcHLVHnAYMN…"), not a word.
        mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
        return len(value) >= 20 and mixed and shannon_entropy(value) >= LETTERS_ONLY_ENTROPY
    if not has_letter:
        return False
    return len(value) >= 8 and shannon_entropy(value) >= MIN_ENTROPY


def _random_body(value: str) -> bool:
    """An `sk-` key's body is random base62: digits, upper and lower case, high entropy
    ("sk-learn-tutorial-for-beginners" is a slug, not a key)."""
    return (any(c.isdigit() for c in value) and any(c.isupper() for c in value) and any(c.islower() for c in value)
            and shannon_entropy(value) >= MIN_ENTROPY)


def jwt_valid(value: str) -> bool:
    """Header and payload are base64url JSON objects."""
    parts = value.split(".")
    if len(parts) != 3:
        return False
    for part in parts[:2]:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return False
        if not isinstance(decoded, dict):
            return False
    return True


class SecretRecognizer(GovPatternRecognizer):
    """SECRET: provider tokens, private keys, JWTs and keyword-introduced random values."""

    ENTITY = "SECRET"
    # Presidio wants patterns; the real work is in `analyze` (one alternation pass).
    PATTERNS = [Pattern("secret_providers", "|".join(f"(?P<{n}>{rx})" for n, rx in PROVIDER_PATTERNS.items()), 1.0)]
    CONTEXT: list[str] = []

    def __init__(self, *, supported_language: str, **kwargs) -> None:
        super().__init__(supported_language=supported_language, **kwargs)
        # Provider patterns are case-sensitive (AKIA, ghp_): compiled without IGNORECASE, and
        # tried only inside candidate tokens (see `analyze`); PEM blocks on their own.
        providers = {n: rx for n, rx in PROVIDER_PATTERNS.items() if n != "private_key"}
        self._providers = regex.compile(
            "|".join(f"(?P<{n}>{rx})" for n, rx in providers.items()), flags=regex.DOTALL | regex.ASCII
        )
        self._pem = regex.compile(PROVIDER_PATTERNS["private_key"], flags=regex.DOTALL | regex.ASCII)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if not text:
            return []
        results = []
        for name, match in self._provider_matches(text):
            start, end = match.span()
            value = match.group()
            if name == "jwt" and not jwt_valid(value):
                continue
            if name == "openai_key" and not _random_body(value[3:]):
                continue
            if name == "private_key":
                end = start + len(value.rstrip())
            results.append(self._result(name, start, end, PROVIDER_SCORE))
        for match in _KEYWORD_VALUE.finditer(text):
            start, end = match.span("value")
            value = match.group("value").rstrip(_TRAILING)
            end = start + len(value)
            keyword = (match.group("kw") or match.group("kwzh") or "").lower()
            password = any(w in keyword for w in ("pass", "pwd", "密码", "口令"))
            if value and looks_random(value, password=password):
                results.append(self._result("keyword_secret", start, end, KEYWORD_SCORE))
        return EntityRecognizer.remove_duplicates(results)

    def _provider_matches(self, text: str):
        """Provider tokens are runs of 16+ token characters (URLs and `AccountKey=` included):
        the alternation of ~20 patterns is tried only inside such runs, not at every
        character of the message (0.09 → ~0.02 ms for 300 characters)."""
        for candidate in _CANDIDATE.finditer(text):
            for match in self._providers.finditer(text, candidate.start(), candidate.end()):
                yield match.lastgroup, match
        if "-----BEGIN" in text:
            for match in self._pem.finditer(text):
                yield "private_key", match

    def _result(self, name: str, start: int, end: int, score: float) -> RecognizerResult:
        explanation = self.build_regex_explanation(
            self.name, name, PROVIDER_PATTERNS.get(name, _KEYWORD_VALUE.pattern), score, None, self.global_regex_flags
        )
        explanation.score = score
        return explained_result(self, self.ENTITY, start, end, score, explanation, "pattern")
