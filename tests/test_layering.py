"""The house plan's layering, checked on the source: the stages (PII, policy, upstream) import
neither the store nor the HTTP API; only the store talks to the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GATEWAY = Path(__file__).resolve().parents[1] / "gateway"
STAGES = ("pii", "policy", "upstream")
FORBIDDEN = ("gateway.store", "gateway.api", "sqlmodel", "sqlalchemy", "psycopg")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", STAGES)
def test_stages_do_not_reach_into_storage_or_the_api(stage: str) -> None:
    offenders = {
        f"{path.relative_to(GATEWAY.parent)}: {name}"
        for path in sorted((GATEWAY / stage).rglob("*.py"))
        for name in imported_modules(path)
        if any(name == forbidden or name.startswith(forbidden + ".") for forbidden in FORBIDDEN)
    }
    assert not offenders, sorted(offenders)


def test_the_walk_sees_imports() -> None:
    # A guard for the guard: the store itself does import sqlmodel.
    assert "sqlmodel" in imported_modules(GATEWAY / "store" / "vault.py")


def test_the_product_does_not_import_the_tests() -> None:
    # Fakes and helpers under tests/ (e.g. the fake OPA server) are never part of the service.
    offenders = {
        f"{path.relative_to(GATEWAY.parent)}: {name}"
        for path in sorted(GATEWAY.rglob("*.py"))
        for name in imported_modules(path)
        if name == "tests" or name.startswith("tests.")
    }
    assert not offenders, sorted(offenders)
