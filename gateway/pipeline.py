"""The request pipeline, top to bottom as in the house plan:

    authenticate → detect PII → decide (Rego) → apply obligations → forward
        → scan + restore the answer → record the decision → respond (X-Decision-Id)

Every stage is a method with typed input and output. Any failure before `forward` means no
upstream call (fail closed); every outcome, success or error, leaves one decision record,
committed before the response completes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

import anyio.to_thread
from pydantic import BaseModel, ValidationError

from gateway.auth import AuthenticatedCaller, Authenticator
from gateway.customer import CustomerContext, parse_customer_headers
from gateway.decision import DecisionRecord, FindingRecord, RouteAttempt, ShadowRecord
from gateway.errors import (
    BadRequest,
    GatewayError,
    ModelNotFound,
    PolicyDenied,
    ServiceUnavailable,
    UpstreamFailed,
    UpstreamTimedOut,
)
from gateway.openai_types import (
    ChatRequest,
    EmbeddingsRequest,
    RedactRequest,
    chat_texts,
    embedding_texts,
    replace_chat_texts,
    replace_embedding_texts,
)
from gateway.pii.actions import ActionApplier, AppliedFinding, MissingPiiAction, resolve_action
from gateway.pii.detector import DetectionFailed, PiiDetector
from gateway.pii.findings import Finding
from gateway.pii.output import FALLBACK_OUTPUT_ACTION, OutputScanner
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.pii.restore import StreamRestorer, restore
from gateway.pii.vault import PseudonymVault
from gateway.policy.documents import (
    CallerInput,
    CustomerInput,
    PiiFindingInput,
    PiiInput,
    PolicyInput,
    PolicyResult,
    RequestInput,
    Route,
)
from gateway.policy.errors import PolicyError
from gateway.policy.replay import ShadowEvaluator
from gateway.ratelimit import RateLimiter
from gateway.store.ledger import DecisionLedger, LedgerUnavailable
from gateway.upstream.client import UpstreamClient
from gateway.upstream.errors import UpstreamError, UpstreamRejected, UpstreamTimeout
from gateway.upstream.sse import DONE, encode_event, iter_sse_data

log = logging.getLogger(__name__)

ProxyKind = Literal["chat", "embeddings"]
_Body = TypeVar("_Body", bound=BaseModel)
PipelineMode = Literal["full", "policy", "passthrough"]
# Deny rules that mean "no such model" (docs/policy-contract.md): answered 404, not 403.
MODEL_NOT_FOUND_RULES = frozenset({"RTE-001"})
_UPSTREAM_PATHS: dict[ProxyKind, str] = {"chat": "/chat/completions", "embeddings": "/embeddings"}


class PolicySource(Protocol):
    """Where the active policy engine comes from (PolicyHolder swaps it on reload)."""

    @property
    def engine(self) -> Any: ...


@dataclass(frozen=True)
class ProxyCall:
    kind: ProxyKind
    headers: Mapping[str, str]  # lower-case names
    raw_body: bytes


@dataclass
class ProxyResponse:
    decision_id: str
    headers: dict[str, str]
    json: dict[str, Any] | None = None
    stream: AsyncIterator[bytes] | None = None


@dataclass
class _Trace:
    """One request in flight: the decision record being filled and its clocks."""

    record: DecisionRecord
    started: float = field(default_factory=time.perf_counter)
    upstream_ms: float = 0.0

    @classmethod
    def start(cls, kind: str) -> _Trace:
        record = DecisionRecord(decision_id=f"dec_{uuid.uuid4().hex}", created_at=datetime.now(UTC), kind=kind)
        return cls(record=record)

    @property
    def decision_id(self) -> str:
        return self.record.decision_id

    def finish(self, status_code: int, error_code: str | None = None) -> DecisionRecord:
        timings = self.record.timings
        timings.total = round((time.perf_counter() - self.started) * 1000, 3)
        timings.upstream_total = round(self.upstream_ms, 3) if self.record.route.attempts else None
        timings.overhead = round(timings.total - self.upstream_ms, 3)
        self.record.status_code = status_code
        self.record.error_code = error_code
        return self.record


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


class Pipeline:
    def __init__(self, *, authenticator: Authenticator, rate_limiter: RateLimiter, detector: PiiDetector,
                 policy: PolicySource, applier: ActionApplier, vault: PseudonymVault, upstream: UpstreamClient,
                 ledger: DecisionLedger, hmac_key: bytes, mode: PipelineMode = "full",
                 shadow: ShadowEvaluator | None = None) -> None:
        self._authenticator = authenticator
        self._rate_limiter = rate_limiter
        self._detector = detector
        self._policy = policy
        self._applier = applier
        self._vault = vault
        self._upstream = upstream
        self._ledger = ledger
        self._hmac_key = hmac_key
        self._mode = mode
        self._shadow = shadow
        self._passthrough_results: dict[tuple[str, str | None], PolicyResult] = {}

    # --- the proxied calls --------------------------------------------------------------

    async def proxy(self, call: ProxyCall) -> ProxyResponse:
        trace = _Trace.start(call.kind)
        try:
            caller = self._authenticate(trace, call.headers)
            customer = self._identify_customer(trace, call.headers, caller)
            self._rate_limiter.check(caller.id)
            body, request, texts = self._parse_body(trace, call)
            pseudonyms = await self._pseudonym_table(trace, caller, customer)
            located = await self._detect_pii(trace, texts, pseudonyms)
            result = await self._decide(trace, caller, customer, call.kind, request.model, located)
            body = self._apply_obligations(trace, call.kind, body, result, located, texts, pseudonyms)
            self._require_ledger()
            if call.kind == "chat" and request.stream:
                return await self._forward_stream(trace, result, body, pseudonyms)
            answer = await self._forward(trace, result.routes, _UPSTREAM_PATHS[call.kind], body)
            if call.kind == "chat":
                answer = await self._scan_and_restore(trace, answer, result, pseudonyms)
            await self._record(trace, 200, pseudonyms=pseudonyms, usage=answer.get("usage"))
            return ProxyResponse(trace.decision_id, self._route_headers(trace), json=answer)
        except GatewayError as error:
            await self._record_failure(trace, error)
            raise

    async def list_models(self, headers: Mapping[str, str]) -> ProxyResponse:
        trace = _Trace.start("models")
        try:
            caller = self._authenticate(trace, headers)
            customer = self._identify_customer(trace, headers, caller)
            self._rate_limiter.check(caller.id)
            result = await self._decide(trace, caller, customer, "models", None, [], require_allow=False)
            await self._record(trace, 200)
            data = [{"id": alias, "object": "model", "created": 0, "owned_by": "govgate"} for alias in result.models]
            return ProxyResponse(trace.decision_id, {}, json={"object": "list", "data": data})
        except GatewayError as error:
            await self._record_failure(trace, error)
            raise

    async def redact(self, headers: Mapping[str, str], raw_body: bytes) -> ProxyResponse:
        """Detection and the policy's actions without a model call (POST /v1/pii/redact)."""
        trace = _Trace.start("pii")
        try:
            caller = self._authenticate(trace, headers)
            customer = self._identify_customer(trace, headers, caller)
            self._rate_limiter.check(caller.id)
            request = parse_model(RedactRequest, parse_json_object(raw_body))
            pseudonyms = await self._pseudonym_table(trace, caller, customer)
            texts = [("text", request.text)]
            located = await self._detect_pii(trace, texts, pseudonyms)
            result = await self._decide(trace, caller, customer, "pii", None, located)
            body = self._apply_obligations(trace, "pii", {"text": request.text}, result, located, texts, pseudonyms)
            await self._record(trace, 200, pseudonyms=pseudonyms)
            findings = [f.model_dump(mode="json", include={"entity_type", "start", "end", "score", "action"})
                        for f in trace.record.findings]
            return ProxyResponse(trace.decision_id, {}, json={"text": body["text"], "findings": findings})
        except GatewayError as error:
            await self._record_failure(trace, error)
            raise

    # --- stages -------------------------------------------------------------------------

    def _authenticate(self, trace: _Trace, headers: Mapping[str, str]) -> AuthenticatedCaller:
        caller = self._authenticator.authenticate(headers.get("authorization"))
        trace.record.caller = caller.id
        return caller

    def _identify_customer(self, trace: _Trace, headers: Mapping[str, str],
                           caller: AuthenticatedCaller) -> CustomerContext:
        customer = parse_customer_headers(headers)
        record = trace.record
        record.purpose = customer.purpose
        record.customer_region = customer.region
        record.customer_attributes = customer.attributes
        record.conversation_id = customer.conversation_id
        if customer.customer_id is not None:
            record.customer_pseudonym = hmac.new(
                self._hmac_key, customer.customer_id.encode(), hashlib.sha256
            ).hexdigest()
            record.masked.append("/headers/x-customer-id")
        if customer.attributes:
            record.erased.append("/upstream/headers/x-customer-attributes")
        return customer

    def _parse_body(self, trace: _Trace, call: ProxyCall) -> tuple[dict[str, Any], ChatRequest | EmbeddingsRequest,
                                                                   list[tuple[str, str]]]:
        body = parse_json_object(call.raw_body)
        if call.kind == "chat":
            chat = parse_model(ChatRequest, body)
            trace.record.model, trace.record.streamed = chat.model, chat.stream
            return body, chat, chat_texts(chat)
        embeddings = parse_model(EmbeddingsRequest, body)
        trace.record.model = embeddings.model
        return body, embeddings, embedding_texts(embeddings)

    async def _pseudonym_table(self, trace: _Trace, caller: AuthenticatedCaller,
                               customer: CustomerContext) -> ConversationPseudonyms:
        if customer.conversation_id is None:
            return self._vault.ephemeral(trace.decision_id)
        key = self._vault.conversation_key(caller.id, customer.conversation_id)
        try:
            return await anyio.to_thread.run_sync(self._vault.load, key)
        except Exception as exc:  # noqa: BLE001 — a vault we cannot read cannot restore: fail closed
            log.error("pseudonym vault unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("the pseudonym vault is unavailable", code="vault_unavailable") from None

    async def _detect_pii(self, trace: _Trace, texts: list[tuple[str, str]],
                          pseudonyms: ConversationPseudonyms) -> list[tuple[str, Finding]]:
        if self._mode != "full":
            return []
        start = time.perf_counter()
        conversation = None if pseudonyms.conversation_key.startswith("request:") else pseudonyms.conversation_key
        try:
            return await anyio.to_thread.run_sync(
                lambda: self._detector.detect(texts, conversation_key=conversation)
            )
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed; the request was not sent upstream",
                                     code="pii_detection_failed") from None
        finally:
            trace.record.timings.pii = _ms_since(start)

    async def _decide(self, trace: _Trace, caller: AuthenticatedCaller, customer: CustomerContext, kind: str,
                model: str | None, located: list[tuple[str, Finding]], *, require_allow: bool = True) -> PolicyResult:
        policy_input = PolicyInput(
            caller=CallerInput(id=caller.id, roles=list(caller.roles)),
            request=RequestInput(kind=kind, model=model, purpose=customer.purpose),
            customer=CustomerInput(region=customer.region, cross_border_basis=customer.cross_border_basis),
            pii=PiiInput(
                entity_types=sorted({finding.entity_type for _, finding in located}),
                findings=[PiiFindingInput(entity_type=f.entity_type, score=round(f.score, 4), language=f.language)
                          for _, f in located],
            ),
        )
        engine = self._policy.engine
        record = trace.record
        record.policy.bundle_hash = engine.bundle_hash
        record.policy.engine = type(engine).__name__
        record.policy.input = policy_input.model_dump(mode="json")
        start = time.perf_counter()
        try:
            # In a worker thread: a remote OPA answers over the network, and even the
            # embedded engine should not hold the event loop.
            # The embedded engine answers in about a millisecond and holds the GIL, so a
            # thread would only add a hop; an engine that waits on the network (remote OPA)
            # runs in a worker thread so the event loop keeps serving.
            if getattr(engine, "performs_io", False):
                result = await anyio.to_thread.run_sync(self._evaluate, engine, policy_input)
            else:
                result = self._evaluate(engine, policy_input)
        except PolicyError as exc:
            log.error("policy evaluation failed: %s", exc)
            raise ServiceUnavailable("the policy could not decide; the request was not sent upstream",
                                     code="policy_unavailable") from None
        finally:
            record.timings.policy = _ms_since(start)
        record.policy.result = result.model_dump(mode="json")
        if self._shadow is not None:
            differences = self._shadow.compare(policy_input, result)
            record.policy.shadow = ShadowRecord(bundle_hash=self._shadow.candidate.bundle_hash,
                                                differences=[d.model_dump() for d in differences])
        record.allowed = result.allow
        record.reasons = [r.model_dump() for r in [*result.deny, *result.reasons]]
        if require_allow and not result.allow:
            rule_ids = [reason.rule_id for reason in result.deny]
            message = "; ".join(reason.reason for reason in result.deny) or "denied by policy"
            if set(rule_ids) & MODEL_NOT_FOUND_RULES:
                raise ModelNotFound(message, param="model", extra={"rule_ids": rule_ids})
            raise PolicyDenied(message, extra={"rule_ids": rule_ids, "reasons": [r.model_dump() for r in result.deny]})
        if require_allow and kind in _UPSTREAM_PATHS and not result.routes:
            raise PolicyDenied("the policy allowed the request but permitted no deployment",
                               code="no_permitted_route", extra={"rule_ids": []})
        return result

    def _evaluate(self, engine: Any, policy_input: PolicyInput) -> PolicyResult:
        if self._mode != "passthrough":
            return engine.evaluate(policy_input)
        # Benchmark baseline: the first decision per model is reused, so the figures show the
        # cost of the proxy itself without a policy evaluation on each request.
        key = (engine.bundle_hash, policy_input.request.model)
        if key not in self._passthrough_results:
            self._passthrough_results[key] = engine.evaluate(policy_input)
        return self._passthrough_results[key]

    def _apply_obligations(self, trace: _Trace, kind: str, body: dict[str, Any], result: PolicyResult,
                           located: list[tuple[str, Finding]], texts: list[tuple[str, str]],
                           pseudonyms: ConversationPseudonyms) -> dict[str, Any]:
        blocked = sorted({f.entity_type for _, f in located
                          if (a := resolve_action(result.pii_actions, f.entity_type)) and a.action == "block"})
        by_location: dict[str, list[Finding]] = {}
        for location, finding in located:
            by_location.setdefault(location, []).append(finding)
        replacements: dict[str, str] = {}
        text_at = dict(texts)
        try:
            for location, findings in by_location.items():
                edited, applied = self._applier.apply(text_at[location], findings, result.pii_actions, pseudonyms)
                trace.record.findings.extend(_finding_records(location, applied))
                if edited != text_at[location]:
                    replacements[location] = edited
        except MissingPiiAction as exc:
            raise ServiceUnavailable(f"the policy gave no action for entity type {exc.args[0]}; "
                                     "the request was not sent upstream", code="policy_incomplete") from None
        if blocked:
            rule_ids = sorted({a.rule_id for t in blocked if (a := resolve_action(result.pii_actions, t)) and a.rule_id})
            raise PolicyDenied(f"the request contains PII the policy blocks: {', '.join(blocked)}",
                               code="pii_blocked", extra={"rule_ids": rule_ids})
        if not replacements:
            return body
        if kind == "pii":
            return {**body, **replacements}
        replace = replace_chat_texts if kind == "chat" else replace_embedding_texts
        return replace(body, replacements)

    def _require_ledger(self) -> None:
        if not self._ledger.healthy:
            raise ServiceUnavailable("the decision ledger is unavailable; the request was not sent upstream",
                                     code="ledger_unavailable")

    async def _forward(self, trace: _Trace, routes: list[Route], path: str, body: dict[str, Any]) -> dict[str, Any]:
        last_error: UpstreamError | None = None
        for route in routes:
            start = time.perf_counter()
            try:
                answer = await self._upstream.post_json(route, path, {**body, "model": route.model})
            except UpstreamError as exc:
                self._attempt(trace, route, start, _outcome(exc))
                last_error = exc
                if not exc.retryable:
                    break
                continue
            self._attempt(trace, route, start, "ok")
            trace.record.timings.upstream_ttft = trace.record.route.attempts[-1].duration_ms
            answer["model"] = trace.record.model
            return answer
        raise _upstream_failure(last_error)

    async def _forward_stream(self, trace: _Trace, result: PolicyResult, body: dict[str, Any],
                              pseudonyms: ConversationPseudonyms) -> ProxyResponse:
        """Open the stream (failing over until a deployment answers), then relay it."""
        last_error: UpstreamError | None = None
        for route in result.routes:
            start = time.perf_counter()
            opened = self._upstream.stream(route, "/chat/completions", {**body, "model": route.model})
            try:
                events = await opened.__aenter__()
            except UpstreamError as exc:
                self._attempt(trace, route, start, _outcome(exc))
                last_error = exc
                if not exc.retryable:
                    break
                continue
            relay = self._relay(trace, route, start, opened, events, result, pseudonyms)
            return ProxyResponse(trace.decision_id, self._route_headers(trace, route), stream=relay)
        raise _upstream_failure(last_error)

    async def _relay(self, trace: _Trace, route: Route, start: float, opened: Any, events: AsyncIterator[bytes],
                     result: PolicyResult, pseudonyms: ConversationPseudonyms) -> AsyncIterator[bytes]:
        """Relay SSE events, scanning and restoring content; record before the final [DONE]."""
        scanner = self._output_scanner(result, pseudonyms)
        restorer = StreamRestorer(pseudonyms.tokens)
        usage: dict[str, int] | None = None
        last_event: dict[str, Any] | None = None
        outcome, status, error_code = "ok", 200, None
        try:
            async for data in iter_sse_data(events):
                if data == DONE:
                    break
                if trace.record.timings.upstream_ttft is None:
                    trace.record.timings.upstream_ttft = _ms_since(start)
                event = json.loads(data)
                usage = event.get("usage") or usage
                last_event = event
                for choice in event.get("choices") or []:
                    delta = choice.setdefault("delta", {})
                    text = delta.get("content") if isinstance(delta.get("content"), str) else ""
                    released = await scanner.feed(text) if scanner else text
                    if choice.get("finish_reason"):
                        # The answer ends here: release everything held back, in this event.
                        released += (await scanner.flush()) if scanner else ""
                        delta["content"] = restorer.feed(released) + restorer.flush()
                    elif "content" in delta:
                        delta["content"] = restorer.feed(released)
                if event.get("choices") and all(
                    (c.get("delta") or {}).get("content") == "" and not c.get("finish_reason")
                    and len(c.get("delta") or {}) == 1 for c in event["choices"]
                ):
                    continue  # everything in it is held back for now; nothing to send
                event["model"] = trace.record.model
                yield encode_event(event)
        except UpstreamError as exc:
            outcome, status, error_code = _outcome(exc), 502, "upstream_stream_broken"
        except (json.JSONDecodeError, UnicodeDecodeError):
            outcome, status, error_code = "rejected:malformed-stream", 502, "upstream_malformed_stream"
        finally:
            await opened.__aexit__(None, None, None)
            self._attempt(trace, route, start, outcome)
        tail = (await scanner.flush()) if scanner else ""
        tail = restorer.feed(tail) + restorer.flush()
        if tail and last_event is not None:
            yield encode_event(_content_event(last_event, trace.record.model, tail))
        self._note_output(trace, scanner)
        try:
            await self._record(trace, status, error_code=error_code, pseudonyms=pseudonyms, usage=usage)
        except GatewayError as error:
            yield encode_event(error.body())
            return
        if status != 200:
            yield encode_event(UpstreamFailed("the upstream stream broke off", code=error_code).body()
                               | {"decision_id": trace.decision_id})
            return
        yield encode_event(DONE)

    def _output_scanner(self, result: PolicyResult, pseudonyms: ConversationPseudonyms) -> OutputScanner | None:
        """A scanner for the types whose output action is not `allow` (None when there are none).

        Looking only for those types keeps the scan cheap: when names may pass, no NER runs.
        """
        if self._mode != "full":
            return None
        wanted = [entity_type for entity_type in self._detector.supported_entities
                  if (resolve_action(result.output_pii_actions, entity_type) or FALLBACK_OUTPUT_ACTION).action
                  != "allow"]
        if not wanted:
            return None

        async def analyze(text: str) -> list[Finding]:
            return await anyio.to_thread.run_sync(self._detector.analyze, text, wanted)

        return OutputScanner(analyze=analyze, applier=self._applier, actions=result.output_pii_actions,
                             pseudonyms=pseudonyms)

    async def _scan_and_restore(self, trace: _Trace, answer: dict[str, Any], result: PolicyResult,
                                pseudonyms: ConversationPseudonyms) -> dict[str, Any]:
        tokens = pseudonyms.tokens
        for choice in answer.get("choices") or []:
            message = choice.get("message") or {}
            if not isinstance(message.get("content"), str):
                continue
            scanner = self._output_scanner(result, pseudonyms)
            text = message["content"]
            if scanner is not None:
                try:
                    text = await scanner.scan_all(text)
                except DetectionFailed:
                    raise ServiceUnavailable("the answer could not be scanned for PII and was withheld",
                                             code="pii_detection_failed") from None
                self._note_output(trace, scanner, location=f"choices[{choice.get('index', 0)}].message.content")
            message["content"] = restore(text, tokens)
        return answer

    def _note_output(self, trace: _Trace, scanner: OutputScanner | None, location: str = "output") -> None:
        if scanner is None:
            return
        for offset, applied in scanner.applied:
            shifted = applied.finding.model_copy(
                update={"start": applied.finding.start + offset, "end": applied.finding.end + offset}
            )
            trace.record.findings.extend(_finding_records(location, [AppliedFinding(shifted, applied.action)]))

    # --- recording ----------------------------------------------------------------------

    def _attempt(self, trace: _Trace, route: Route, start: float, outcome: str) -> None:
        duration = _ms_since(start)
        trace.upstream_ms += duration
        route_record = trace.record.route
        route_record.attempts.append(
            RouteAttempt(deployment=route.deployment, region=route.region, outcome=outcome, duration_ms=duration)
        )
        if outcome == "ok":
            route_record.deployment, route_record.provider = route.deployment, route.provider
            route_record.region, route_record.model = route.region, route.model

    def _route_headers(self, trace: _Trace, route: Route | None = None) -> dict[str, str]:
        record = trace.record.route
        deployment = route.deployment if route else record.deployment
        region = route.region if route else record.region
        return {"x-govgate-deployment": deployment or "", "x-govgate-region": region or ""}

    async def _record(self, trace: _Trace, status_code: int, *, error_code: str | None = None,
                      pseudonyms: ConversationPseudonyms | None = None, usage: dict[str, Any] | None = None) -> None:
        record = trace.finish(status_code, error_code)
        if usage:
            record.usage = {k: v for k, v in usage.items() if isinstance(v, int)}
        entries = self._vault.entries_to_persist(pseudonyms) if pseudonyms is not None else []
        try:
            await self._ledger.record(record, entries)
        except LedgerUnavailable:
            error = ServiceUnavailable("the decision could not be recorded; the answer was withheld",
                                       code="ledger_unavailable")
            error.decision_id = trace.decision_id
            raise error from None

    async def _record_failure(self, trace: _Trace, error: GatewayError) -> None:
        error.decision_id = trace.decision_id
        if error.code == "ledger_unavailable" and trace.record.status_code:
            return  # the record itself is what failed
        try:
            await self._record(trace, error.status_code, error_code=error.code)
        except ServiceUnavailable:
            log.error("could not record failed decision %s", trace.decision_id)


def _finding_records(location: str, applied: list[AppliedFinding]) -> list[FindingRecord]:
    return [
        FindingRecord(entity_type=item.finding.entity_type, location=location, start=item.finding.start,
                      end=item.finding.end, score=round(item.finding.score, 4), language=item.finding.language,
                      action=item.action, explanation=item.finding.explanation)
        for item in applied
    ]


def _outcome(error: UpstreamError) -> str:
    if isinstance(error, UpstreamTimeout):
        return "timeout"
    if isinstance(error, UpstreamRejected):
        return f"rejected:{error.status_code}"
    return "unavailable"


def _upstream_failure(error: UpstreamError | None) -> GatewayError:
    if isinstance(error, UpstreamTimeout):
        return UpstreamTimedOut("no permitted deployment answered in time")
    if isinstance(error, UpstreamRejected) and error.status_code < 500 and error.status_code != 429:
        failure = UpstreamFailed(f"the upstream refused the request ({error.status_code})", code="upstream_rejected")
        failure.extra = {"upstream_status": error.status_code}
        return failure
    return UpstreamFailed("no permitted deployment could answer", code="upstream_unavailable")


def _content_event(template: dict[str, Any], model: str | None, text: str) -> dict[str, Any]:
    return {"id": template.get("id"), "object": "chat.completion.chunk", "created": template.get("created"),
            "model": model, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise BadRequest("the request body is empty; send a JSON object")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def parse_model(model: type[_Body], body: dict[str, Any]) -> _Body:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(_validation_message(exc), param=_validation_param(exc)) from None


def _validation_message(exc: ValidationError) -> str:
    # Field paths and error kinds only: pydantic's default message would echo the input.
    first = exc.errors(include_url=False, include_input=False)[0]
    path = ".".join(str(part) for part in first["loc"]) or "body"
    return f"invalid request body at {path}: {first['msg']}"


def _validation_param(exc: ValidationError) -> str | None:
    loc = exc.errors(include_url=False, include_input=False)[0]["loc"]
    return ".".join(str(part) for part in loc) or None
