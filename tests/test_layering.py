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


# The database libraries: only the store uses them, and the factory that hands the store its
# engine (gateway/services.py types it and catches the driver's errors of a background purge).
DATABASE_LIBRARIES = ("sqlmodel", "sqlalchemy", "psycopg", "alembic")
DATABASE_ALLOWED = ("store/", "services.py")
# Package-level imports must form no cycle (they did: policy <-> store, pii -> store -> decision -> pii).
PACKAGES = ("pii", "policy", "upstream", "store", "api", "stages")


def _imports(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_only_the_store_talks_to_the_database() -> None:
    offenders = sorted(
        f"{path.relative_to(GATEWAY.parent)}: {name}"
        for path in GATEWAY.rglob("*.py")
        if not str(path.relative_to(GATEWAY)).startswith(DATABASE_ALLOWED)
        for name in imported_modules(path)
        if _imports(name, DATABASE_LIBRARIES)
    )
    assert not offenders, offenders


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "gateway" and parts[1] in PACKAGES else None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for package in PACKAGES:
        for path in (GATEWAY / package).rglob("*.py"):
            graph[package] |= {p for name in imported_modules(path) if (p := _package_of(name)) not in (None, package)}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        for successor in sorted(graph.get(node, ())):
            if (found := visit(successor, path + [node])) is not None:
                return found
        return None

    for start in sorted(graph):
        if (found := visit(start, [])) is not None:
            return found
    return None


def test_packages_import_without_cycles() -> None:
    assert _cycle(package_graph()) is None, " -> ".join(_cycle(package_graph()) or [])


def test_the_cycle_check_sees_a_cycle() -> None:
    # A guard for the guard: a loop of two is found.
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def test_the_product_does_not_import_the_tests() -> None:
    # Fakes and helpers under tests/ (e.g. the fake OPA server) are never part of the service.
    offenders = {
        f"{path.relative_to(GATEWAY.parent)}: {name}"
        for path in sorted(GATEWAY.rglob("*.py"))
        for name in imported_modules(path)
        if name == "tests" or name.startswith("tests.")
    }
    assert not offenders, sorted(offenders)


# Writers and readers are different doors: only the pipeline's recorder (and the factory that
# builds it) hold the ledger's writer, and the benchmark that measures what writing costs;
# everything that reads uses gateway.store.decision_log.
LEDGER_WRITER_USERS = ("services.py", "stages/recording.py", "benchmarks/ledger.py")


def test_only_the_recorder_the_factory_and_the_ledger_benchmark_import_the_ledger_writer() -> None:
    offenders = sorted(
        str(path.relative_to(GATEWAY.parent))
        for path in GATEWAY.rglob("*.py")
        if not str(path.relative_to(GATEWAY)).startswith(("store/", *LEDGER_WRITER_USERS))
        and "gateway.store.ledger" in imported_modules(path)
    )
    assert not offenders, offenders
