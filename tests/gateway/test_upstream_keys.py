"""Upstream API keys are read once, with the settings, and the client sends what it was given."""

from __future__ import annotations

import httpx
import pytest

from gateway.config import Settings
from gateway.policy.documents import Route
from gateway.upstream.client import UpstreamClient


def test_settings_gather_every_upstream_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGATE_UPSTREAM_KEY_AZURE_EU", "sk-eu")
    monkeypatch.setenv("GOVGATE_UPSTREAM_KEY_EMPTY", "")
    monkeypatch.setenv("GOVGATE_UPSTREAM_KEYS", '{"GOVGATE_UPSTREAM_KEY_SNEAKY": "x"}')
    monkeypatch.setenv("GOVGATE_HMAC_KEY", "not an upstream key")
    keys = Settings().upstream_keys
    assert {name: key.get_secret_value() for name, key in keys.items()} == {"GOVGATE_UPSTREAM_KEY_AZURE_EU": "sk-eu"}


def test_upstream_keys_given_as_an_argument_are_taken_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGATE_UPSTREAM_KEY_AZURE_EU", "sk-eu")
    assert Settings(upstream_keys={}).upstream_keys == {}


def route(api_key_env: str | None) -> Route:
    return Route(deployment="d", model="m", provider="openai", base_url="http://upstream.test/v1", region="EU",
                 api_key_env=api_key_env)


@pytest.mark.parametrize(("api_key_env", "expected"), [
    ("GOVGATE_UPSTREAM_KEY_AZURE_EU", "Bearer sk-eu"),
    ("GOVGATE_UPSTREAM_KEY_UNSET", None),  # a variable that was not set: no key, as before
    (None, None),
])
async def test_the_client_sends_the_key_it_was_built_with(monkeypatch: pytest.MonkeyPatch, api_key_env: str | None,
                                                         expected: str | None) -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json={"ok": True})

    client = UpstreamClient(timeout=httpx.Timeout(5.0), api_keys={"GOVGATE_UPSTREAM_KEY_AZURE_EU": "sk-eu"},
                            transport=httpx.MockTransport(answer))
    # Set after the client is built: per-request reads of the environment would see it.
    monkeypatch.setenv("GOVGATE_UPSTREAM_KEY_UNSET", "late")
    try:
        assert (await client.post_json(route(api_key_env), "/chat/completions", {})).body == {"ok": True}
    finally:
        await client.aclose()
    assert seen == [expected]
