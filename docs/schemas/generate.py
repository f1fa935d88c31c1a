"""Write (or check) the JSON Schemas of the policy contract from the pydantic models.

    python docs/schemas/generate.py           # rewrite docs/schemas/policy-*.schema.json
    python docs/schemas/generate.py --check   # exit 1 if a saved schema is stale

tests/policy/test_policy_contract_schemas.py runs the check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from gateway.policy.documents import POLICY_CONTRACT_VERSION, PolicyInput, PolicyResult, Vocabulary  # noqa: E402

TARGETS = {"policy-input.schema.json": PolicyInput, "policy-result.schema.json": PolicyResult,
           "policy-vocabulary.schema.json": Vocabulary}


def render(model: type) -> str:
    schema = model.model_json_schema(mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"govgate:docs/schemas/{model.__name__}",
        "x-contract-version": POLICY_CONTRACT_VERSION,
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def stale(directory: Path = HERE) -> list[str]:
    """Names of saved schemas that differ from what the models generate."""
    return [
        name for name, model in TARGETS.items()
        if not (directory / name).is_file() or (directory / name).read_text() != render(model)
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for name in bad:
            print(f"stale: docs/schemas/{name} (run python docs/schemas/generate.py)")
        return 1 if bad else 0
    for name, model in TARGETS.items():
        (HERE / name).write_text(render(model))
        print(f"wrote docs/schemas/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
