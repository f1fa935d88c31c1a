"""Run the Rego unit tests (``test_*`` rules in ``*_test.rego``) on a chosen engine.

``govgate policy test [--engine regorus|opa]`` calls ``run_policy_tests`` then prints
``format_results``; the report's ``exit_code`` is non-zero when any test fails or errors.
A test passes when its rule evaluates to ``true``; ``false`` or undefined is a failure,
an engine exception is an error. Output follows ``opa test -v``::

    govgate/access/access_test.rego:
    data.govgate.access_test.test_bot_may_chat: PASS (0.2ms)
    --------------------------------------------------------------------------------
    PASS: 55/55
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import regorus
from opa_bindings.engine import OpaEngine, OpaError, OpaUndefinedError

from gateway.policy.bundle import PolicyBundle, RegoModule
from gateway.policy.engine import ENGINE_NAMES, short_error
from gateway.policy.errors import PolicyLoadError

Outcome = Literal["PASS", "FAIL", "ERROR"]
_RULER = "-" * 80


@dataclass(frozen=True)
class PolicyTestResult:
    file: str
    package: str
    name: str
    outcome: Outcome
    duration_ms: float
    error: str | None = None

    @property
    def path(self) -> str:
        return f"data.{self.package}.{self.name}"


@dataclass(frozen=True)
class PolicyTestReport:
    engine: str
    bundle_hash: str
    results: tuple[PolicyTestResult, ...] = field(default=())

    @property
    def passed(self) -> int:
        return sum(r.outcome == "PASS" for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.outcome == "FAIL" for r in self.results)

    @property
    def errored(self) -> int:
        return sum(r.outcome == "ERROR" for r in self.results)

    @property
    def ok(self) -> bool:
        return bool(self.results) and self.passed == len(self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2


def run_policy_tests(policy_dir: str | Path, engine: str = "regorus", *, bundle: PolicyBundle | None = None) -> PolicyTestReport:
    """Load the bundle (or use the one given) and run every test rule on ``engine``.

    A bundle without tests yields an empty report, which is not ``ok``: an untested
    policy is not accepted.
    """
    if engine not in ENGINE_NAMES:
        raise ValueError(f"unknown policy engine {engine!r}; choose one of {ENGINE_NAMES}")
    bundle = bundle or PolicyBundle.load(policy_dir)
    runner = _run_regorus if engine == "regorus" else _run_opa
    return PolicyTestReport(engine=engine, bundle_hash=bundle.bundle_hash, results=tuple(runner(bundle)))


def format_results(report: PolicyTestReport, *, verbose: bool = True) -> str:
    """OPA-style text: per-file results (all with verbose, else failures only) and totals."""
    lines: list[str] = []
    by_file: dict[str, list[PolicyTestResult]] = {}
    for result in report.results:
        by_file.setdefault(result.file, []).append(result)
    for file, results in by_file.items():
        shown = [r for r in results if verbose or r.outcome != "PASS"]
        if not shown:
            continue
        lines.append(f"{file}:")
        for r in shown:
            lines.append(f"{r.path}: {r.outcome} ({r.duration_ms:.1f}ms)")
            if r.error:
                lines.append(f"  {r.error}")
        lines.append("")
    total = len(report.results)
    lines.append(_RULER)
    if total == 0:
        lines.append("no tests found")
    if report.passed:
        lines.append(f"PASS: {report.passed}/{total}")
    if report.failed:
        lines.append(f"FAIL: {report.failed}/{total}")
    if report.errored:
        lines.append(f"ERROR: {report.errored}/{total}")
    return "\n".join(lines)


def _run_regorus(bundle: PolicyBundle) -> list[PolicyTestResult]:
    engine = regorus.Engine()
    try:
        for module in bundle.modules + bundle.tests:
            engine.add_policy(module.path, module.source)
        engine.add_data_json(json.dumps(bundle.data_document))
    except RuntimeError as exc:
        raise PolicyLoadError(f"regorus rejected the bundle: {short_error(exc)}") from exc

    def outcome(module: RegoModule, name: str) -> tuple[Outcome, str | None]:
        try:
            value = engine.clone().eval_rule(f"data.{module.package}.{name}")
        except RuntimeError as exc:
            return "ERROR", short_error(exc)
        return ("PASS" if value is True else "FAIL"), None

    return _run_each_test(bundle, outcome)


def _run_opa(bundle: PolicyBundle) -> list[PolicyTestResult]:
    engine = OpaEngine()
    try:
        try:
            for module in bundle.modules + bundle.tests:
                engine.add_policy(module.path, module.source)
            engine.add_data(bundle.data_document)
        except OpaError as exc:
            raise PolicyLoadError(f"OPA rejected the bundle: {exc}") from exc

        def outcome(module: RegoModule, name: str) -> tuple[Outcome, str | None]:
            try:
                value = engine.eval_document(f"{module.package}.{name}")
            except OpaUndefinedError:
                return "FAIL", None
            except OpaError as exc:
                return "ERROR", str(exc)
            return ("PASS" if value is True else "FAIL"), None

        return _run_each_test(bundle, outcome)
    finally:
        engine.close()


def _run_each_test(bundle: PolicyBundle,
                   outcome: Callable[[RegoModule, str], tuple[Outcome, str | None]]) -> list[PolicyTestResult]:
    """Every `test_*` rule of every test module, timed, in file order."""
    results = []
    for module in bundle.tests:
        for name in module.test_rules:
            start = time.perf_counter()
            result, error = outcome(module, name)
            results.append(_result(module, name, result, start, error))
    return results


def _result(module, name: str, outcome: Outcome, start: float, error: str | None) -> PolicyTestResult:
    return PolicyTestResult(
        file=module.path, package=module.package, name=name, outcome=outcome,
        duration_ms=(time.perf_counter() - start) * 1000.0, error=error,
    )
