"""The request pipeline, top to bottom as in the house plan:

    authenticate → detect PII → decide (Rego) → apply obligations → forward
        → scan + restore the answer → record the decision → respond (X-Decision-Id)

Every stage is a method with typed input and output. Any failure before `forward` means no
upstream call (fail closed); every outcome, success or error, leaves one decision record,
committed before the response completes.

Why this module is long (~700 lines): the stages are still methods of one `Pipeline` that
share its collaborators and write into one `Trace`; the PII routes (redact, analyze) and the
refusals reuse the same admission and recording. Turning the stages into objects that return
typed results, with the record assembled in one place, is the next piece of work (issue 10);
the answer guards (gateway/answer.py) and the inline-or-thread rule (gateway/offload.py)
have already moved out.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, Protocol, TypeVar

import anyio.to_thread

from gateway.answer import AnswerGuards
from gateway.anonymous import AnonymousRefusals
from gateway.auth import AuthenticatedCaller, Authenticator, PreAuthLimited
from gateway.customer import CustomerContext, parse_customer_headers
from gateway.decision import RouteAttempt, ShadowRecord
from gateway.answer_shape import (
    MalformedAnswer,
    completion_id_for,
    new_call_id,
    shape_completion,
    shape_embeddings,
)
from gateway.decision import FindingRecord
from gateway.errors import (
    BadRequest,
    GatewayError,
    InternalError,
    ModelNotFound,
    PayloadTooLarge,
    PolicyDenied,
    ServiceUnavailable,
    Unauthenticated,
    UpstreamFailed,
    UpstreamTimedOut,
    describe_fault,
)
from gateway.identifiers import listed_or_digest, screen_customer
from gateway.limits import client_address
from gateway.locations import Location, Scan, batch_texts, render, replace_texts, unbatch, unbatch_texts
from gateway.offload import run_sized
from gateway.openai_types import (
    AnalyzeRequest,
    ChatRequest,
    EmbeddingsRequest,
    RedactRequest,
    ScanLimits,
    chat_texts,
    embedding_texts,
    outgoing,
    parse_json_object,
    parse_model,
)
from gateway.pii.actions import ActionApplier, AppliedFinding, MissingPiiAction, resolve_action
from gateway.pii.detector import DetectionFailed, PiiDetector, TextTooLong
from gateway.pii.errors import PiiInputError
from gateway.pii.findings import Finding, Language
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.pii.vault import PseudonymVault
from gateway.policy.documents import (
    PiiAction,
    CallerInput,
    CustomerInput,
    PiiFindingInput,
    PiiInput,
    PolicyInput,
    PolicyResult,
    RequestInput,
    Route,
    Vocabulary,
)
from gateway.policy.errors import PolicyError
from gateway.policy.replay import ShadowEvaluator
from gateway.ratelimit import RateLimiter
from gateway.relay import ChatStreamRelay, RelayFailure
from gateway.store.ledger import DecisionLedger, LedgerUnavailable
from gateway.trace import Trace, finding_records, ms_since
from gateway.upstream.client import UpstreamClient
from gateway.upstream.errors import UpstreamError, UpstreamRejected, UpstreamTimeout, outcome_of
from gateway.upstream.sse import DONE, encode_event

log = logging.getLogger(__name__)

ProxyKind = Literal["chat", "embeddings"]
_Answer = TypeVar("_Answer")
PipelineMode = Literal["full", "policy", "passthrough"]
# Deny rules that mean "no such model" (docs/policy-contract.md): answered 404, not 403.
MODEL_NOT_FOUND_RULES = frozenset({"RTE-001"})
PASSTHROUGH_CACHE_MAX = 1024
# What /v1/pii/analyze records for a finding: reported to the caller, nothing applied.
REPORTED = "reported"
_UPSTREAM_PATHS: dict[ProxyKind, str] = {"chat": "/chat/completions", "embeddings": "/embeddings"}


class TextAnalyzer(Protocol):
    """The PII engine's own analyze (language hints included), for /v1/pii/analyze."""

    def analyze(self, text: str, *, language: Language | None = None) -> list[Finding]: ...


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


class Pipeline:
    def __init__(self, *, authenticator: Authenticator, rate_limiter: RateLimiter, detector: PiiDetector,
                 policy: PolicySource, applier: ActionApplier, vault: PseudonymVault, upstream: UpstreamClient,
                 ledger: DecisionLedger, hmac_key: bytes, mode: PipelineMode = "full",
                 shadow: ShadowEvaluator | None = None, scan_limits: ScanLimits | None = None,
                 analyzer: TextAnalyzer | None = None, pii_api_max_chars: int | None = None,
                 anonymous: AnonymousRefusals | None = None) -> None:
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
        self._passthrough_results: dict[tuple[str, str], PolicyResult] = {}
        self._scan_limits = scan_limits or ScanLimits()
        self._analyzer = analyzer
        self._pii_api_max_chars = pii_api_max_chars
        self._anonymous = anonymous

    # --- the proxied calls --------------------------------------------------------------

    async def proxy(self, call: ProxyCall) -> ProxyResponse:
        async with self._traced(call.kind) as trace:
            caller, customer = await self._admit(trace, call.headers)
            body, request, texts = self._parse_body(trace, call)
            pseudonyms = await self._pseudonym_table(trace, caller, customer)
            located = await self._detect_pii(trace, texts, _cache_scope(caller, pseudonyms))
            result = await self._decide(trace, caller, customer, call.kind, request.model, located)
            body = self._apply_obligations(trace, body, result, located, texts, pseudonyms)
            self._require_ledger()
            if call.kind == "chat" and request.stream:
                return await self._forward_stream(trace, result, body, pseudonyms)
            answer = await self._forward(trace, result.routes, _UPSTREAM_PATHS[call.kind], body)
            if call.kind == "chat":
                answer = await self._scan_and_restore(trace, answer, result, pseudonyms)
            else:
                answer = _embeddings_answer(answer, trace.record.model)
            await self._record(trace, 200, pseudonyms=pseudonyms, usage=answer.get("usage"))
            return ProxyResponse(trace.decision_id, self._route_headers(trace), json=answer)

    async def list_models(self, headers: Mapping[str, str]) -> ProxyResponse:
        async with self._traced("models") as trace:
            caller, customer = await self._admit(trace, headers)
            # A denied listing is a 403 with its rule ids, like every other denied decision.
            result = await self._decide(trace, caller, customer, "models", None, [])
            await self._record(trace, 200)
            data = [{"id": alias, "object": "model", "created": 0, "owned_by": "govgate"} for alias in result.models]
            return ProxyResponse(trace.decision_id, {}, json={"object": "list", "data": data})

    async def redact(self, headers: Mapping[str, str], raw_body: bytes) -> ProxyResponse:
        """Detection and the policy's actions without a model call (POST /v1/pii/redact)."""
        async with self._traced("pii") as trace:
            caller, customer = await self._admit(trace, headers)
            request = parse_model(RedactRequest, parse_json_object(raw_body))
            self._limit_pii_text(request.text)
            pseudonyms = await self._pseudonym_table(trace, caller, customer)
            texts = [("text", request.text)]
            located = await self._detect_pii(trace, texts, _cache_scope(caller, pseudonyms))
            result = await self._decide(trace, caller, customer, "pii", None, located)
            body = self._apply_obligations(trace, {"text": request.text}, result, located, texts, pseudonyms)
            await self._record(trace, 200, pseudonyms=pseudonyms)
            findings = [f.model_dump(mode="json", include={"entity_type", "start", "end", "score", "action"})
                        for f in trace.record.findings]
            return ProxyResponse(trace.decision_id, {}, json={"text": body["text"], "findings": findings})

    async def analyze(self, headers: Mapping[str, str], raw_body: bytes) -> ProxyResponse:
        """Findings only, no action applied (POST /v1/pii/analyze): admitted, decided (kind
        "pii", as redact) and recorded like every other call. Findings carry spans, never values."""
        async with self._traced("pii") as trace:
            caller, customer = await self._admit(trace, headers)
            request = parse_model(AnalyzeRequest, parse_json_object(raw_body))
            self._limit_pii_text(request.text)
            findings = await self._analyze_text(trace, request.text, request.language)
            await self._decide(trace, caller, customer, "pii", None, [("text", f) for f in findings])
            trace.record.findings.extend(finding_records("text", [AppliedFinding(f, REPORTED) for f in findings]))
            await self._record(trace, 200)
            return ProxyResponse(trace.decision_id, {},
                                 json={"findings": [finding.model_dump(mode="json") for finding in findings]})

    async def refuse(self, kind: str, headers: Mapping[str, str], error: GatewayError) -> NoReturn:
        """A request refused before its body was read (too large, a method the route lacks).

        Admitted first like any other request (so an anonymous caller gets its 401), then
        recorded and answered with its decision id.
        """
        async with self._traced(kind) as trace:
            await self._admit(trace, headers)
            raise error

    async def flush_anonymous(self, *, everything: bool = False) -> int:
        """Write the aggregate records of anonymous refusals whose window ended (or all)."""
        if self._anonymous is None:
            return 0
        records = self._anonymous.drain() if everything else self._anonymous.due()
        for record in records:
            try:
                await self._ledger.record(record)
            except LedgerUnavailable:
                log.error("could not record aggregate %s of %d anonymous refusals", record.decision_id,
                          record.aggregate.count if record.aggregate else 0)
        return len(records)

    @contextlib.asynccontextmanager
    async def _traced(self, kind: str) -> AsyncIterator[Trace]:
        """One decision record per call: a failure is recorded, then raised for the caller.

        The error raised carries the decision id only when its record was committed;
        otherwise the caller gets 503 ledger_unavailable without one.
        """
        trace = Trace.start(kind)
        try:
            yield trace
        except GatewayError as error:
            answer = await self._record_failure(trace, error)
            if answer is error:
                raise
            raise answer from None
        except Exception as exc:
            # A fault of ours: logged with the decision id (where, not what: no data in the
            # log), recorded, and answered as an OpenAI-style 500.
            log.error("unexpected error in decision %s: %s", trace.decision_id, describe_fault(exc))
            error = InternalError("internal error; quote the decision id when reporting it")
            raise await self._record_failure(trace, error) from None

    def _limit_pii_text(self, text: str) -> None:
        if self._pii_api_max_chars is not None and len(text) > self._pii_api_max_chars:
            raise PayloadTooLarge(f"the text is longer than the limit of {self._pii_api_max_chars} characters",
                                  code="text_too_long", param="text")

    async def _analyze_text(self, trace: Trace, text: str, language: Language | None) -> list[Finding]:
        start = time.perf_counter()
        try:
            if self._analyzer is None:  # no engine with language hints: the request path's detector
                return [f for _, f in await anyio.to_thread.run_sync(
                    lambda: self._detector.detect([("text", text)], scope=None))]
            analyzer = self._analyzer
            return await anyio.to_thread.run_sync(lambda: analyzer.analyze(text, language=language))
        except (PiiInputError, TextTooLong) as exc:
            raise PayloadTooLarge(str(exc), code="text_too_long", param="text") from None
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed", code="pii_detection_failed") from None
        except Exception as exc:  # noqa: BLE001 — a detector fault is the service's, never a 500 with a trace
            log.error("PII analysis failed in decision %s: %s", trace.decision_id, describe_fault(exc))
            raise ServiceUnavailable("PII detection failed", code="pii_detection_failed") from None
        finally:
            trace.record.timings.pii = ms_since(start)

    # --- stages -------------------------------------------------------------------------

    async def _admit(self, trace: Trace, headers: Mapping[str, str]) -> tuple[AuthenticatedCaller, CustomerContext]:
        """Authenticate the caller, read who the customer is, apply the rate limit."""
        caller = await self._authenticator.authenticate(headers.get("authorization"))
        trace.record.caller = caller.id
        customer = await self._identify_customer(trace, headers)
        self._rate_limiter.check(caller.id)
        return caller, customer

    async def _identify_customer(self, trace: Trace, headers: Mapping[str, str]) -> CustomerContext:
        """The customer as the headers say, with every identifier the policy does not list hashed."""
        holds_pii = self._holds_pii if self._mode == "full" else None
        customer = screen_customer(parse_customer_headers(headers), await self._vocabulary(), self._pseudonym,
                                   holds_pii)
        record = trace.record
        record.purpose = customer.purpose
        record.customer_region = customer.region
        record.customer_attributes = customer.attributes
        if customer.conversation_id is not None:
            # Kept as a keyed hash too: callers put customer numbers in conversation ids.
            record.conversation_id = self._pseudonym(customer.conversation_id)
            record.masked.append("/headers/x-conversation-id")
        if customer.customer_id is not None:
            record.customer_pseudonym = self._pseudonym(customer.customer_id)
            record.masked.append("/headers/x-customer-id")
        if customer.attributes:
            record.erased.append("/upstream/headers/x-customer-attributes")
        return customer

    def _pseudonym(self, value: str) -> str:
        return hmac.new(self._hmac_key, value.encode(), hashlib.sha256).hexdigest()

    def _holds_pii(self, text: str) -> bool:
        try:
            return bool(self._detector.analyze(text))
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed; the request was not sent upstream",
                                     code="pii_detection_failed") from None

    async def _vocabulary(self) -> Vocabulary:
        """The identifiers the active policy lists (cached by embedded engines; remote OPA may fetch)."""
        engine = self._policy.engine
        try:
            if getattr(engine, "performs_io", False):
                return await anyio.to_thread.run_sync(engine.vocabulary)
            return engine.vocabulary()
        except PolicyError as exc:
            log.error("policy vocabulary unavailable: %s", exc)
            raise ServiceUnavailable("the policy could not decide; the request was not sent upstream",
                                     code="policy_unavailable") from None

    def _parse_body(self, trace: Trace, call: ProxyCall) -> tuple[dict[str, Any], ChatRequest | EmbeddingsRequest,
                                                                   list[Scan]]:
        """The body (JSON within bounds, then field by field), within the scan budget, and the
        texts to scan: short ones joined into batches (one detector pass each)."""
        raw = parse_json_object(call.raw_body)
        request: ChatRequest | EmbeddingsRequest
        if call.kind == "chat":
            request = parse_model(ChatRequest, raw)
            trace.record.streamed = request.stream
            texts = chat_texts(request)
        else:
            request = parse_model(EmbeddingsRequest, raw)
            texts = embedding_texts(request)
        self._scan_limits.check(request, texts)
        body, erased = outgoing(raw)
        trace.record.erased.extend(erased)
        return body, request, batch_texts(texts)

    async def _pseudonym_table(self, trace: Trace, caller: AuthenticatedCaller,
                               customer: CustomerContext) -> ConversationPseudonyms:
        if customer.conversation_id is None:
            return self._vault.ephemeral(trace.decision_id)
        key = self._vault.conversation_key(caller.id, customer.conversation_id, customer.customer_id)
        try:
            return await anyio.to_thread.run_sync(self._vault.load, key)
        except Exception as exc:  # noqa: BLE001 — a vault we cannot read cannot restore: fail closed
            log.error("pseudonym vault unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("the pseudonym vault is unavailable", code="vault_unavailable") from None

    async def _detect_pii(self, trace: Trace, texts: list[tuple[str, str]],
                          cache_scope: str) -> list[tuple[str, Finding]]:
        if self._mode != "full":
            return []
        start = time.perf_counter()
        try:
            return await run_sized(lambda: self._detector.detect(texts, scope=cache_scope),
                                   chars=sum(len(text) for _, text in texts))
        except TextTooLong as exc:
            raise PayloadTooLarge(str(exc), code="text_too_long") from None
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed; the request was not sent upstream",
                                     code="pii_detection_failed") from None
        finally:
            trace.record.timings.pii = ms_since(start)

    async def _decide(self, trace: Trace, caller: AuthenticatedCaller, customer: CustomerContext, kind: str,
                model: str | None, located: list[tuple[str, Finding]], *, require_allow: bool = True) -> PolicyResult:
        # A model name the policy does not list reaches the policy and the record as a keyed hash.
        model = listed_or_digest(model, (await self._vocabulary()).models, self._pseudonym)
        trace.record.model = model
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
        record.policy.pipeline_mode = self._mode
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
            record.timings.policy = ms_since(start)
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
        # Benchmark baseline only: the same input document (no PII is detected in this mode)
        # gets the decision it got before, so the figures show the proxy without the policy.
        key = (engine.bundle_hash, policy_input.model_dump_json())
        result = self._passthrough_results.get(key)
        if result is None:
            if len(self._passthrough_results) >= PASSTHROUGH_CACHE_MAX:
                self._passthrough_results.clear()
            result = self._passthrough_results[key] = engine.evaluate(policy_input)
        return result

    def _apply_obligations(self, trace: Trace, body: dict[str, Any], result: PolicyResult,
                           located: list[tuple[Any, Finding]], texts: list[tuple[Any, str]],
                           pseudonyms: ConversationPseudonyms) -> dict[str, Any]:
        """Do to each finding what the policy says; return the body that may go upstream."""
        located = unbatch(located)
        blocking = {f.entity_type: action for _, f in located
                    if (action := resolve_action(result.pii_actions, f.entity_type)) and action.action == "block"}
        if blocking:  # the policy should have denied already; never forward a blocked type regardless
            raise PolicyDenied(f"the request contains PII the policy blocks: {', '.join(sorted(blocking))}",
                               code="pii_blocked",
                               extra={"rule_ids": sorted({a.rule_id for a in blocking.values() if a.rule_id})})
        self._refuse_pii_in_identifiers(trace, result, located)
        by_location: dict[Location | str, list[Finding]] = {}
        for location, finding in located:
            by_location.setdefault(location, []).append(finding)
        text_at = dict(unbatch_texts(texts))
        replacements: dict[Location | str, str] = {}
        try:
            for location, text in text_at.items():  # in path order: tokens are numbered so
                findings = by_location.get(location)
                if not findings:
                    continue
                edited, applied = self._applier.apply(text, findings, result.pii_actions, pseudonyms)
                trace.record.findings.extend(finding_records(str(location), applied))
                # An identifier's findings here are all `allow` (others were refused): never edited.
                if edited != text and not (isinstance(location, Location) and location.identifier):
                    replacements[location] = edited
        except MissingPiiAction as exc:
            raise ServiceUnavailable(f"the policy gave no action for entity type {exc.args[0]}; "
                                     "the request was not sent upstream", code="policy_incomplete") from None
        return replace_texts(body, replacements)

    def _refuse_pii_in_identifiers(self, trace: Trace, result: PolicyResult,
                                   located: list[tuple[Location | str, Finding]]) -> None:
        """An identifier cannot be rewritten without breaking the call: PII in one that the
        policy does not allow as it is refuses the request (recorded, nothing sent)."""
        refused = [(location, finding) for location, finding in located
                   if isinstance(location, Location) and location.identifier
                   and (resolve_action(result.pii_actions, finding.entity_type) or _REFUSE).action != "allow"]
        if not refused:
            return
        # A name that holds PII is itself the value: the record shows such keys as `[*]`.
        hidden = {location.path for location, _ in refused if isinstance(location, Location) and location.is_key}
        trace.record.findings.extend(
            FindingRecord(entity_type=f.entity_type, location=render(location.path, hidden=hidden), start=f.start,
                          end=f.end, score=round(f.score, 4), language=f.language, action="refuse",
                          explanation=f.explanation)
            for location, f in refused if isinstance(location, Location))
        types = ", ".join(sorted({f.entity_type for _, f in refused}))
        raise BadRequest(f"an identifier (a tool or function name, a tool-call id, a schema property name) "
                         f"contains PII ({types}); identifiers cannot be rewritten, so the request was refused",
                         code="pii_in_identifier")

    def _require_ledger(self) -> None:
        if not self._ledger.healthy:
            raise ServiceUnavailable("the decision ledger is unavailable; the request was not sent upstream",
                                     code="ledger_unavailable")

    async def _forward(self, trace: Trace, routes: list[Route], path: str, body: dict[str, Any]) -> dict[str, Any]:
        route, start, answer = await self._first_answering(
            trace, routes, lambda route: self._upstream.post_json(route, path, {**body, "model": route.model}))
        self._attempt(trace, route, start, "ok")
        trace.record.timings.upstream_ttft = trace.record.route.attempts[-1].duration_ms
        answer["model"] = trace.record.model
        return answer

    async def _forward_stream(self, trace: Trace, result: PolicyResult, body: dict[str, Any],
                              pseudonyms: ConversationPseudonyms) -> ProxyResponse:
        """Open the stream (failing over until a deployment answers), then relay it."""

        async def open_stream(route: Route) -> tuple[Any, AsyncIterator[bytes]]:
            opened = self._upstream.stream(route, "/chat/completions", {**body, "model": route.model})
            return opened, await opened.__aenter__()

        route, start, (opened, events) = await self._first_answering(trace, result.routes, open_stream)
        relay = self._relay(trace, route, start, opened, events, result, pseudonyms)
        return ProxyResponse(trace.decision_id, self._route_headers(trace, route), stream=relay)

    async def _first_answering(self, trace: Trace, routes: list[Route],
                               call: Callable[[Route], Awaitable[_Answer]]) -> tuple[Route, float, _Answer]:
        """Try the permitted deployments in the policy's order until one answers.

        Every failed attempt is recorded; a refusal that another deployment would repeat
        (a 4xx) stops the failover.
        """
        last_error: UpstreamError | None = None
        for route in routes:
            start = time.perf_counter()
            try:
                return route, start, await call(route)
            except UpstreamError as exc:
                self._attempt(trace, route, start, outcome_of(exc))
                last_error = exc
                if not exc.retryable:
                    break
        raise _upstream_failure(last_error)

    async def _relay(self, trace: Trace, route: Route, start: float, opened: Any, events: AsyncIterator[bytes],
                     result: PolicyResult, pseudonyms: ConversationPseudonyms) -> AsyncIterator[bytes]:
        """Relay the stream through the answer guards; record, then end with [DONE] or an error."""
        relay = ChatStreamRelay(events, model=trace.record.model, completion_id=completion_id_for(trace.decision_id),
                                guard_for=self._answer_guards(result, pseudonyms).for_location)
        try:
            async for chunk in relay:
                yield chunk
        except BaseException:
            # The caller went away (the response task is cancelled) or the generator was
            # closed: the upstream is closed and the decision still recorded, shielded.
            with anyio.CancelScope(shield=True):
                await self._end_stream(trace, route, start, opened, relay, pseudonyms,
                                       RelayFailure(499, "client_closed_request", "ok"))
            raise
        error = await self._end_stream(trace, route, start, opened, relay, pseudonyms, relay.failure)
        yield encode_event(error.body()) if error is not None else encode_event(DONE)

    async def _end_stream(self, trace: Trace, route: Route, start: float, opened: Any, relay: ChatStreamRelay,
                          pseudonyms: ConversationPseudonyms, failure: RelayFailure | None) -> GatewayError | None:
        """Close the upstream, record the decision; the error to end the stream with, if any."""
        await opened.__aexit__(None, None, None)
        self._attempt(trace, route, start, failure.outcome if failure else "ok")
        if relay.first_event_at is not None:
            trace.record.timings.upstream_ttft = round((relay.first_event_at - start) * 1000, 3)
        for guard in relay.guards.values():
            trace.record.findings.extend(guard.findings())
        status, code = (failure.status_code, failure.error_code) if failure else (200, None)
        try:
            await self._record(trace, status, error_code=code, pseudonyms=pseudonyms, usage=relay.usage)
        except GatewayError as error:
            return error
        if failure is None:
            return None
        error = (UpstreamFailed("the upstream stream broke off or was malformed", code=code) if status == 502 else
                 ServiceUnavailable("the answer could not be scanned for PII; the stream was cut", code=code))
        error.decision_id = trace.decision_id
        return error

    def _answer_guards(self, result: PolicyResult, pseudonyms: ConversationPseudonyms) -> AnswerGuards:
        return AnswerGuards(result=result, pseudonyms=pseudonyms, applier=self._applier,
                            detector=self._detector if self._mode == "full" else None)

    async def _scan_and_restore(self, trace: Trace, answer: dict[str, Any], result: PolicyResult,
                                pseudonyms: ConversationPseudonyms) -> dict[str, Any]:
        """The answer rebuilt from known fields; every text in it through its own guard."""
        try:
            answer, texts = shape_completion(answer, completion_id=completion_id_for(trace.decision_id),
                                             model=trace.record.model)
            replacements: dict[Location | str, str] = {}
            guards = self._answer_guards(result, pseudonyms)
            for location, text in texts:
                guard = guards.for_location(str(location))
                if location.identifier:
                    replacement = new_call_id() if location.path[-1] == "id" else None
                    guarded = await guard.identifier(text, replacement=replacement)
                else:
                    guarded = await guard.whole(text)
                if guarded != text:
                    replacements[location] = guarded
                trace.record.findings.extend(guard.findings())
        except DetectionFailed:
            raise ServiceUnavailable("the answer could not be scanned for PII and was withheld",
                                     code="pii_detection_failed") from None
        except MalformedAnswer as exc:
            raise UpstreamFailed(f"the upstream answer is malformed: {exc}", code="upstream_malformed") from None
        return replace_texts(answer, replacements)

    # --- recording ----------------------------------------------------------------------

    def _attempt(self, trace: Trace, route: Route, start: float, outcome: str) -> None:
        duration = ms_since(start)
        trace.upstream_ms += duration
        route_record = trace.record.route
        route_record.attempts.append(
            RouteAttempt(deployment=route.deployment, region=route.region, outcome=outcome, duration_ms=duration)
        )
        if outcome == "ok":
            route_record.deployment, route_record.provider = route.deployment, route.provider
            route_record.region, route_record.model = route.region, route.model

    def _route_headers(self, trace: Trace, route: Route | None = None) -> dict[str, str]:
        record = trace.record.route
        deployment = route.deployment if route else record.deployment
        region = route.region if route else record.region
        return {"x-govgate-deployment": deployment or "", "x-govgate-region": region or ""}

    async def _record(self, trace: Trace, status_code: int, *, error_code: str | None = None,
                      pseudonyms: ConversationPseudonyms | None = None, usage: dict[str, Any] | None = None) -> None:
        record = trace.finish(status_code, error_code)
        if usage:
            record.usage = {k: v for k, v in usage.items() if isinstance(v, int)}
        entries = self._vault.entries_to_persist(pseudonyms) if pseudonyms is not None else []
        try:
            await self._ledger.record(record, entries)
        except LedgerUnavailable:
            # No decision id: the caller must never hold an id the ledger does not have.
            raise ServiceUnavailable("the decision could not be recorded; the answer was withheld",
                                     code="ledger_unavailable") from None

    async def _record_failure(self, trace: Trace, error: GatewayError) -> GatewayError:
        """Record a refusal; returns the error to answer with.

        That is `error` with its decision id once recorded, or 503 ledger_unavailable without
        an id when the record could not be written (fail closed: never a 4xx whose id is not in
        the ledger). Anonymous refusals past the first few per address are counted into an
        aggregate record instead (gateway/anonymous.py).
        """
        if error.code == "ledger_unavailable" and trace.record.status_code:
            return error  # the record itself is what failed
        if self._anonymous is not None and trace.record.caller is None \
                and isinstance(error, Unauthenticated | PreAuthLimited):
            client = self._pseudonym(client_address() or "unknown")
            aggregate = self._anonymous.fold(client, kind=trace.record.kind, status_code=error.status_code,
                                             error_code=error.code)
            if aggregate is not None:
                error.decision_id = aggregate
                return error
            trace.record.client_pseudonym = client
        try:
            await self._record(trace, error.status_code, error_code=error.code)
        except ServiceUnavailable as unrecorded:
            log.error("could not record failed decision %s", trace.decision_id)
            return unrecorded
        error.decision_id = trace.decision_id
        return error


_REFUSE = PiiAction(action="block", rule_id="gateway-identifier-default")


def _embeddings_answer(answer: dict[str, Any], model: str | None) -> dict[str, Any]:
    try:
        return shape_embeddings(answer, model=model)
    except MalformedAnswer as exc:
        raise UpstreamFailed(f"the upstream answer is malformed: {exc}", code="upstream_malformed") from None


def _cache_scope(caller: AuthenticatedCaller, pseudonyms: ConversationPseudonyms) -> str:
    """The conversation when the request names one, else the calling service."""
    if pseudonyms.is_ephemeral:
        return f"caller:{caller.id}"
    return f"conversation:{pseudonyms.conversation_key}"


def _upstream_failure(error: UpstreamError | None) -> GatewayError:
    if isinstance(error, UpstreamTimeout):
        return UpstreamTimedOut("no permitted deployment answered in time")
    if isinstance(error, UpstreamRejected) and error.status_code < 500 and error.status_code != 429:
        failure = UpstreamFailed(f"the upstream refused the request ({error.status_code})", code="upstream_rejected")
        failure.extra = {"upstream_status": error.status_code}
        return failure
    return UpstreamFailed("no permitted deployment could answer", code="upstream_unavailable")
