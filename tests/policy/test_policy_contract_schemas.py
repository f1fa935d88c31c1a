"""The saved JSON Schemas of the contract match the pydantic models."""

from __future__ import annotations

import importlib.util
import json

import jsonschema
from conftest import REPO
from policy_inputs import make_input


def _generator():
    spec = importlib.util.spec_from_file_location("govgate_schema_generate", REPO / "docs" / "schemas" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_saved_schemas_are_current():
    assert _generator().stale() == []


def test_results_validate_against_saved_schema(regorus_engine):
    schema = json.loads((REPO / "docs" / "schemas" / "policy-result.schema.json").read_text())
    result = regorus_engine.evaluate(make_input(entity_types=("PERSON", "CREDIT_CARD")))
    jsonschema.validate(result.model_dump(mode="json"), schema)
    input_schema = json.loads((REPO / "docs" / "schemas" / "policy-input.schema.json").read_text())
    jsonschema.validate(make_input().model_dump(mode="json"), input_schema)
