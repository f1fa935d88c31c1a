"""Write (or check) the JSON Schemas of the policy contract and of the decision record from
the pydantic models.

    python docs/schemas/generate.py           # rewrite docs/schemas/*.schema.json
    python docs/schemas/generate.py --check   # exit 1 if a saved schema is stale

tests/policy/test_policy_contract_schemas.py and tests/gateway/test_record_schema.py run the check.
The policy documents are described as the gateway validates them (validation mode); the
decision record as it is stored and read back (serialization mode: every field present).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from gateway.decision import SCHEMA_VERSION, DecisionRecord  # noqa: E402
from gateway.policy.documents import POLICY_CONTRACT_VERSION, PolicyInput, PolicyResult, Vocabulary  # noqa: E402


class Target(NamedTuple):
    model: type
    version_key: str
    version: str
    mode: Literal["validation", "serialization"]


TARGETS = {
    "policy-input.schema.json": Target(PolicyInput, "x-contract-version", POLICY_CONTRACT_VERSION, "validation"),
    "policy-result.schema.json": Target(PolicyResult, "x-contract-version", POLICY_CONTRACT_VERSION, "validation"),
    "policy-vocabulary.schema.json": Target(Vocabulary, "x-contract-version", POLICY_CONTRACT_VERSION, "validation"),
    "decision-record.schema.json": Target(DecisionRecord, "x-schema-version", SCHEMA_VERSION, "serialization"),
}


def render(target: Target) -> str:
    schema = target.model.model_json_schema(mode=target.mode)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"govgate:docs/schemas/{target.model.__name__}",
        target.version_key: target.version,
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def stale(directory: Path = HERE) -> list[str]:
    """Names of saved schemas that differ from what the models generate."""
    return [
        name for name, target in TARGETS.items()
        if not (directory / name).is_file() or (directory / name).read_text() != render(target)
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for name in bad:
            print(f"stale: docs/schemas/{name} (run python docs/schemas/generate.py)")
        return 1 if bad else 0
    for name, target in TARGETS.items():
        (HERE / name).write_text(render(target))
        print(f"wrote docs/schemas/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
