"""The gateway deciding through a remote OPA server (GOVGATE_OPA_URL), end to end over HTTP
(the fake OPA in tests/fakes/opa_rest.py, deciding with the real OPA engine)."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from gateway.policy.bundle import PolicyBundle
from tests.conftest import POLICY_DIR, SUPPORT_HEADERS, ServerThread, start_gateway
from tests.fakes.opa_rest import create_fake_opa_app
from tests.net import free_port


def test_gateway_decides_with_a_remote_opa(tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    opa = ServerThread(create_fake_opa_app(PolicyBundle.load(POLICY_DIR)), free_port())
    opa.start()
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream,
                                    opa_url=f"http://127.0.0.1:{opa.port}")
    try:
        client = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, max_retries=0,
                               default_headers={**SUPPORT_HEADERS, "X-Customer-Region": "CN"})
        raw = client.chat.completions.with_raw_response.create(
            model="demo-chat", messages=[{"role": "user", "content": "我是张伟，手机13800138000"}])
        assert raw.headers["x-govgate-region"] == "CN"
        assert "13800138000" in raw.parse().choices[0].message.content  # restored for the caller
        record = gateway.services().decision_log.get(raw.headers["x-decision-id"])
        assert record.policy.engine == "opa-remote"
        with pytest.raises(openai.PermissionDeniedError):
            openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, max_retries=0,
                          default_headers={**SUPPORT_HEADERS, "X-Purpose": "profiling"}).chat.completions.create(
                model="demo-chat", messages=[{"role": "user", "content": "hi"}])
    finally:
        server.stop()
        opa.stop()
