"""The OpenAPI document declares the request bodies, and a schema-driven fuzzer finds no 5xx.

The routes read their raw bodies themselves (JSON within bounds, then field by field); the
declared schema is the same pydantic models', so schemathesis generates bodies the gateway
would accept and near misses of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from gateway.app import create_app
from gateway.config import Settings
from tests.conftest import SUPPORT_HEADERS, Gateway, start_gateway

OPENAPI = create_app(Settings(policy_watch=False)).openapi()  # building the app starts nothing
SCHEMA = schemathesis.openapi.from_dict(OPENAPI).include(method="POST",
                                                         path_regex=r"^/v1/(chat/completions|embeddings)$")


def test_request_bodies_are_declared() -> None:
    for path, required in (("/v1/chat/completions", {"model", "messages"}), ("/v1/embeddings", {"model", "input"})):
        body = OPENAPI["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert set(body["required"]) == required and body["additionalProperties"] is False
        assert "$ref" not in str(body)
    chat = OPENAPI["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"tools", "response_format", "tool_choice", "logit_bias", "stop"} <= set(chat["properties"])


@pytest.fixture(scope="module")
def schema_gateway(tmp_path_factory: pytest.TempPathFactory, pii_engine, upstream: str) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(Path(tmp_path_factory.mktemp("schemathesis")), pii_engine=pii_engine,
                                    upstream_url=upstream, rate_limit_per_minute=100_000)
    yield gateway
    server.stop()


@SCHEMA.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_schema_driven_bodies_never_get_a_5xx(case, schema_gateway: Gateway) -> None:  # type: ignore[no-untyped-def]
    if isinstance(case.body, dict) and isinstance(case.body.get("model"), str):
        # A model alias the policy deploys: generated bodies then reach detection, policy and upstream.
        case.body["model"] = "demo-embed" if case.path.endswith("embeddings") else "demo-chat"
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {schema_gateway.bot_key}"}
    response = case.call(base_url=schema_gateway.url, headers=headers, timeout=30)
    assert response.status_code < 500, (case.body, response.text)
