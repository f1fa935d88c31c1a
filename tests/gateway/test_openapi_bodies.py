"""The OpenAPI document declares the request bodies (tests/gateway/test_schema_fuzz.py fuzzes them).

The routes read their raw bodies themselves (JSON within bounds, then field by field); the
declared schema is the same pydantic models', so schemathesis generates bodies the gateway
would accept and near misses of them.
"""

from __future__ import annotations

from gateway.app import create_app
from gateway.config import Settings

OPENAPI = create_app(Settings(policy_watch=False)).openapi()  # building the app starts nothing


def test_request_bodies_are_declared() -> None:
    for path, required in (("/v1/chat/completions", {"model", "messages"}), ("/v1/embeddings", {"model", "input"})):
        body = OPENAPI["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert set(body["required"]) == required and body["additionalProperties"] is False
        assert "$ref" not in str(body)
    chat = OPENAPI["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"tools", "response_format", "tool_choice", "logit_bias", "stop"} <= set(chat["properties"])
