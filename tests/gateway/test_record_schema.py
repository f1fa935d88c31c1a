"""The published JSON Schema of the decision record (docs/schemas/decision-record.schema.json)
matches the model, and the records the gateway stores and serves validate against it."""

from __future__ import annotations

import importlib.util
import json

import httpx
import jsonschema
from sqlmodel import Session, select

from gateway.decision import SCHEMA_VERSION, STAGES
from gateway.store.models import DecisionRow
from tests.conftest import REPO, SUPPORT_HEADERS, Gateway

SCHEMA = REPO / "docs" / "schemas" / "decision-record.schema.json"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("govgate_schema_generate", REPO / "docs" / "schemas" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_saved_schema_is_current() -> None:
    assert _generator().stale() == []
    schema = json.loads(SCHEMA.read_text())
    assert schema["x-schema-version"] == SCHEMA_VERSION
    assert set(schema["properties"]["stage"]["anyOf"][0]["enum"]) == set(STAGES)


def test_stored_and_served_records_validate(gateway: Gateway) -> None:
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}", "X-Channel": "app"}
    chat = {"model": "demo-chat", "messages": [{"role": "user", "content": "Write to maria.gonzalez@example.com"}]}
    for body in (chat, {**chat, "stream": True}):
        assert httpx.post(gateway.base_url + "/chat/completions", json=body, headers=headers, timeout=30).status_code == 200
    assert httpx.post(gateway.base_url + "/chat/completions", json=chat, timeout=30).status_code == 401
    assert httpx.post(gateway.base_url + "/chat/completions", json=chat, timeout=30,
                      headers={**headers, "X-Purpose": "profiling"}).status_code == 403
    schema = json.loads(SCHEMA.read_text())
    with Session(gateway.services().database) as session:
        stored = [dict(row.record) for row in session.exec(select(DecisionRow))]
    served = httpx.get(gateway.base_url + "/decisions", headers={"authorization": f"Bearer {gateway.officer_key}"},
                       timeout=30).json()["data"]
    assert len(stored) == len(served) == 4
    for record in [*stored, *served]:
        jsonschema.validate(record, schema)
        assert record["schema_version"] == SCHEMA_VERSION
