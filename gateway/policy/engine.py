"""Policy engines: one small interface, three implementations.

``PolicyEngine.evaluate(input) -> PolicyResult`` evaluates the single entrypoint
``data.govgate.decision``. Every engine validates what comes back against the contract
(gateway/policy/documents.py) and raises a ``PolicyError`` on anything undefined or
malformed, so a caller can only ever hold a valid result or an exception (fail closed).

- ``RegorusPolicyEngine``: embedded regorus (Rust). Policies and data are parsed once into
  a prototype engine, which is evaluated once so regorus analyses the modules at load time;
  each evaluation runs on a clone of it (a cheap, shared-AST copy that keeps that analysis),
  so concurrent evaluations never share mutable state and nothing is compiled per request.
- ``OpaGolibPolicyEngine``: the real OPA Go engine in-process (opa_bindings); for tests,
  differential checks and ``--engine opa``. OPA serialises evaluations on its own lock.
- ``RemoteOpaPolicyEngine``: an OPA server over its REST Data API (opa-python-client),
  at the URL it is given (the gateway passes ``GOVGATE_OPA_URL`` from its settings). A
  response without ``result`` is undefined, hence an error.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import regorus
import requests
from cachetools import TTLCache
from opa_bindings.engine import OpaEngine, OpaError, OpaUndefinedError
from opa_client import OpaClient
from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.policy.bundle import ENTRYPOINT, PolicyBundle
from gateway.policy.documents import POLICY_CONTRACT_VERSION, VOCABULARY_RULE, PolicyInput, PolicyResult, Vocabulary
from gateway.policy.errors import (
    PolicyEvaluationError,
    PolicyLoadError,
    PolicyResultInvalid,
    PolicyUndefinedError,
)

ENGINE_NAMES: tuple[str, ...] = ("regorus", "opa")
# How long a remote OPA server's vocabulary is trusted before it is fetched again.
VOCABULARY_TTL_S = 30.0
_REGORUS_UNDEFINED = '"<undefined>"'
# Evaluated once when an engine is built: surfaces errors regorus/OPA only report on
# first evaluation (unsafe variables, conflicts), so a broken bundle never goes live.
WARMUP_INPUT = PolicyInput(
    caller={"id": "govgate-warmup", "roles": []},
    request={"kind": "models"},
)


@runtime_checkable
class PolicyEngine(Protocol):
    """What the gateway needs from a policy engine.

    `name` is stable (it goes into every decision record): regorus, opa-embedded, opa-remote.
    `performs_io`: the engine waits on the network, so the pipeline calls it from a worker
    thread; the embedded engines answer in about a millisecond while holding the GIL, where a
    thread would only add a hop.
    """

    name: str
    performs_io: bool
    bundle_hash: str

    def evaluate(self, input: PolicyInput) -> PolicyResult: ...

    def vocabulary(self) -> Vocabulary: ...


class Explanation(BaseModel):
    """Why a decision came out as it did (for ``govgate policy eval --explain``)."""

    model_config = ConfigDict(frozen=True)

    engine: str
    bundle_hash: str
    result: PolicyResult
    # Rule ids that contributed, in result order: denials, reasons, PII obligations.
    rules: list[str]
    # Per policy file, the line numbers evaluated (regorus and OPA coverage), if available.
    coverage: dict[str, list[int]] | None = None


def to_result(value: Any, input: PolicyInput) -> PolicyResult:
    """Validate an entrypoint value against the contract; raise a PolicyError otherwise."""
    if value is None:
        raise PolicyUndefinedError(f"data.{ENTRYPOINT} is undefined for this input")
    if not isinstance(value, dict):
        raise PolicyResultInvalid(f"data.{ENTRYPOINT} is a {type(value).__name__}, not an object")
    try:
        result = PolicyResult.model_validate(value)
    except ValidationError as exc:
        raise PolicyResultInvalid(f"data.{ENTRYPOINT} does not fit PolicyResult: {exc}") from exc
    if result.contract_version != POLICY_CONTRACT_VERSION:
        raise PolicyResultInvalid(
            f"result contract_version {result.contract_version!r} != {POLICY_CONTRACT_VERSION!r}"
        )
    missing = sorted(set(input.pii.entity_types) - set(result.pii_actions))
    if missing:
        raise PolicyResultInvalid(f"no pii action for entity types {missing}")
    if result.allow and result.deny:
        raise PolicyResultInvalid("result allows and denies at once")
    return result


def to_vocabulary(value: Any) -> Vocabulary:
    """Validate data.govgate.vocabulary.listed; a policy without one lists nothing."""
    if value is None:
        return Vocabulary()
    try:
        return Vocabulary.model_validate(value)
    except ValidationError as exc:
        raise PolicyResultInvalid(f"data.{VOCABULARY_RULE} does not fit Vocabulary: {exc}") from exc


def rules_of(result: PolicyResult) -> list[str]:
    """Rule ids that contributed to a result, first occurrence order."""
    ids = [r.rule_id for r in result.deny] + [r.rule_id for r in result.reasons]
    ids += [a.rule_id for a in result.pii_actions.values() if a.rule_id]
    return list(dict.fromkeys(ids))


def _input_json(input: PolicyInput) -> str:
    return input.model_dump_json()


def short_error(exc: BaseException) -> str:
    """regorus errors carry a Rust backtrace; keep the message only."""
    return str(exc).split("Stack backtrace:", 1)[0].strip()


# --- regorus -------------------------------------------------------------------------------


# Per-thread regorus engines (see RegorusPolicyEngine): thread-local by nature, not shared state.
_per_thread = threading.local()
MAX_BUNDLES_PER_THREAD = 4


class RegorusPolicyEngine:
    """Embedded regorus. Thread-safe: each thread evaluates on its own engine.

    regorus engines are "unsendable" (pyo3): one may only be used, cloned and dropped by the
    thread that made it. So this object holds no engine; each thread builds one per bundle
    on first use (parse once, then clone per evaluation) and keeps it in `_per_thread`.
    """

    name = "regorus"
    performs_io = False

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        self.bundle_hash = bundle.bundle_hash
        self._rule = f"data.{ENTRYPOINT}"
        self._modules = bundle.modules
        self._data_json = json.dumps(bundle.data_document)
        self._prototype()  # parse errors surface here, at load time
        try:
            self.evaluate(WARMUP_INPUT)
            self._vocabulary = to_vocabulary(self._eval_rule(self._prototype().clone(), f"data.{VOCABULARY_RULE}"))
        except PolicyEvaluationError as exc:
            raise PolicyLoadError(f"bundle fails its warm-up evaluation: {exc}") from exc

    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def _prototype(self) -> regorus.Engine:
        engines: dict[str, regorus.Engine] = _per_thread.__dict__.setdefault("engines", {})
        prototype = engines.get(self.bundle_hash)
        if prototype is not None:
            return prototype
        prototype = regorus.Engine()
        try:
            for module in self._modules:
                prototype.add_policy(module.path, module.source)
            prototype.add_data_json(self._data_json)
            # regorus analyses (schedules) the modules lazily, on an engine's first
            # evaluation, and a clone of a never-evaluated engine repeats that analysis on
            # every evaluation (~1.2 ms). Evaluate once here so every clone starts prepared.
            prototype.eval_query("true")
        except RuntimeError as exc:
            raise PolicyLoadError(f"regorus rejected the bundle: {short_error(exc)}") from exc
        # Keep a few bundles per thread (the active one and a candidate); older ones are
        # dropped here, on their own thread.
        while len(engines) >= MAX_BUNDLES_PER_THREAD:
            engines.pop(next(iter(engines)))
        engines[self.bundle_hash] = prototype
        return prototype

    def evaluate(self, input: PolicyInput) -> PolicyResult:
        engine = self._prototype().clone()
        return to_result(self._eval(engine, input), input)

    def explain(self, input: PolicyInput) -> Explanation:
        engine = self._prototype().clone()
        engine.set_enable_coverage(True)
        result = to_result(self._eval(engine, input), input)
        report = json.loads(engine.get_coverage_report_as_json())
        coverage = {f["path"]: sorted(f.get("covered", [])) for f in report.get("files", [])}
        return Explanation(
            engine=self.name, bundle_hash=self.bundle_hash, result=result,
            rules=rules_of(result), coverage=coverage,
        )

    def _eval(self, engine: regorus.Engine, input: PolicyInput) -> Any:
        try:
            engine.set_input_json(_input_json(input))
        except RuntimeError as exc:
            raise PolicyEvaluationError(f"regorus: {short_error(exc)}") from exc
        return self._eval_rule(engine, self._rule)

    @staticmethod
    def _eval_rule(engine: regorus.Engine, rule: str) -> Any:
        try:
            raw = engine.eval_rule_as_json(rule)
        except RuntimeError as exc:
            raise PolicyEvaluationError(f"regorus: {short_error(exc)}") from exc
        if raw == _REGORUS_UNDEFINED:
            return None
        return json.loads(raw)


# --- OPA in-process ------------------------------------------------------------------------


class OpaGolibPolicyEngine:
    """The real OPA engine, embedded through opa_bindings."""

    name = "opa-embedded"
    performs_io = False

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        self.bundle_hash = bundle.bundle_hash
        self._opa = OpaEngine()
        try:
            for module in bundle.modules:
                self._opa.add_policy(module.path, module.source)
            self._opa.add_data(bundle.data_document)
        except OpaError as exc:
            self._opa.close()
            raise PolicyLoadError(f"OPA rejected the bundle: {exc}") from exc
        try:
            self.evaluate(WARMUP_INPUT)
            self._vocabulary = to_vocabulary(self._eval_path(VOCABULARY_RULE, {}))
        except PolicyEvaluationError as exc:
            self._opa.close()
            raise PolicyLoadError(f"bundle fails its warm-up evaluation: {exc}") from exc

    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def _eval_path(self, path: str, input_doc: Any) -> Any:
        try:
            with self._opa._eval_lock:
                return self._opa.eval_document(path, input_doc)
        except OpaUndefinedError:
            return None
        except OpaError as exc:
            raise PolicyEvaluationError(f"opa: {exc}") from exc

    def evaluate(self, input: PolicyInput) -> PolicyResult:
        return to_result(self._eval(input, coverage=False)[0], input)

    def explain(self, input: PolicyInput) -> Explanation:
        value, report = self._eval(input, coverage=True)
        result = to_result(value, input)
        coverage = None
        if report:
            coverage = {
                path: sorted(
                    line
                    for span in f.get("covered") or []
                    for line in range(span["start"]["row"], span["end"]["row"] + 1)
                )
                for path, f in (report.get("files") or {}).items()
            }
        return Explanation(
            engine=self.name, bundle_hash=self.bundle_hash, result=result,
            rules=rules_of(result), coverage=coverage,
        )

    def close(self) -> None:
        self._opa.close()

    def _eval(self, input: PolicyInput, *, coverage: bool) -> tuple[Any, Any]:
        try:
            # eval_document is serialised on the engine's lock, as is last_coverage.
            with self._opa._eval_lock:
                value = self._opa.eval_document(ENTRYPOINT, input.model_dump(mode="json"), coverage=coverage)
                report = self._opa.last_coverage
        except OpaUndefinedError:
            return None, None
        except OpaError as exc:
            raise PolicyEvaluationError(f"opa: {exc}") from exc
        return value, report


# --- OPA over HTTP ---------------------------------------------------------------------------


class RemoteOpaPolicyEngine:
    """An OPA server's Data API: POST /v1/data/govgate/decision {"input": ...}.

    The server holds its own copy of the policy, so ``bundle_hash`` cannot be computed
    here: pass the hash of the bundle deployed to it, else it reads ``remote:<url>``.
    ``timeout_s`` bounds each call (the gateway passes ``opa_timeout_s`` from its settings).
    """

    name = "opa-remote"
    # Evaluation waits on the network: callers on an event loop run it in a worker thread.
    performs_io = True

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float,
        bundle_hash: str | None = None,
        entrypoint: str = ENTRYPOINT,
    ) -> None:
        if not url:
            raise PolicyLoadError("no OPA URL given")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PolicyLoadError(f"OPA URL {url!r} is not http(s)://host[:port]")
        self.url = url
        self.entrypoint = entrypoint
        self.bundle_hash = bundle_hash or f"remote:{url}"
        self._client = OpaClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8181),
            ssl=parts.scheme == "https",
            timeout=timeout_s,
            retries=0,
        )
        # One entry, the server's vocabulary; the lock also makes concurrent callers fetch it once.
        self._vocabulary: TTLCache[str, Vocabulary] = TTLCache(maxsize=1, ttl=VOCABULARY_TTL_S)
        self._vocabulary_lock = threading.Lock()

    def evaluate(self, input: PolicyInput) -> PolicyResult:
        package, rule = self.entrypoint.rsplit(".", 1)
        response = self._query(package, rule, input.model_dump(mode="json"))
        if not isinstance(response, dict) or "result" not in response:
            raise PolicyUndefinedError(f"remote OPA: data.{self.entrypoint} is undefined for this input")
        return to_result(response["result"], input)

    def vocabulary(self) -> Vocabulary:
        """The server's vocabulary, fetched again after VOCABULARY_TTL_S (its policy may change)."""
        with self._vocabulary_lock:
            vocabulary = self._vocabulary.get(VOCABULARY_RULE)
            if vocabulary is None:
                package, rule = VOCABULARY_RULE.rsplit(".", 1)
                response = self._query(package, rule, {})
                vocabulary = to_vocabulary(response.get("result") if isinstance(response, dict) else None)
                self._vocabulary[VOCABULARY_RULE] = vocabulary
            return vocabulary

    def _query(self, package: str, rule: str, input_doc: Any) -> Any:
        try:
            return self._client.query_rule(input_doc, package, rule)
        except requests.RequestException as exc:
            raise PolicyEvaluationError(f"remote OPA at {self.url}: {exc}") from exc
        except ValueError as exc:  # body is not JSON
            raise PolicyEvaluationError(f"remote OPA at {self.url} answered non-JSON: {exc}") from exc

    def explain(self, input: PolicyInput) -> Explanation:
        result = self.evaluate(input)
        return Explanation(engine=self.name, bundle_hash=self.bundle_hash, result=result, rules=rules_of(result))

    def close(self) -> None:
        self._client.close_connection()


def build_engine(bundle: PolicyBundle, engine: str = "regorus") -> RegorusPolicyEngine | OpaGolibPolicyEngine:
    """An embedded engine by name ("regorus" or "opa")."""
    if engine == "regorus":
        return RegorusPolicyEngine(bundle)
    if engine == "opa":
        return OpaGolibPolicyEngine(bundle)
    raise ValueError(f"unknown policy engine {engine!r}; choose one of {ENGINE_NAMES}")
