"""The request pipeline, top to bottom as in the house plan:

    authenticate → detect PII → decide (Rego) → apply obligations → forward
        → scan + restore the answer → record the decision → respond (X-Decision-Id)

Each stage (gateway/stages/) returns what it decided; the pipeline keeps it on the request's
`Run` and the record is assembled from the Run in one place (`stages.recording.assemble`).
The pipeline also says on the Run which stage it enters (`run.enter`), so the record of a
request that stopped says where (docs/decision-record.md: the stages).
Any failure before `forward` means no upstream call (fail closed); every outcome, success or
error, leaves one decision record, committed before the response completes. A plain answer
and a stream end in the same step: record, then respond (for a stream, when it ends). A
stream is journalled before its headers go out, so a stream cut by a crash is recorded too.
"""

from __future__ import annotations

import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import anyio

from gateway.answer_shape import completion_id_for
from gateway.auth import AuthenticatedCaller
from gateway.errors import ClientClosedRequest, DecisionNotRecorded, GatewayError, InternalError, PayloadTooLarge, \
    ServiceUnavailable, describe_fault
from gateway.decision import AttemptOutcome, FindingRecord
from gateway.locations import Location
from gateway.openai_types import AnalyzeRequest, RedactRequest, ScanLimits, parse_json_object, parse_model
from gateway.pii.actions import ActionApplier
from gateway.pii.findings import Finding
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.pii.vault import PseudonymVault
from gateway.stages.admission import Admission, Customer
from gateway.stages.answer import AnswerGuards, guard_completion, guard_embeddings
from gateway.stages.detection import PiiDetection
from gateway.stages.forwarding import Failover, route_headers
from gateway.stages.obligations import apply_obligations
from gateway.stages.policy import PolicyDecision, PolicyGate
from gateway.stages.recording import Recorder, Run
from gateway.stages.relay import ChatStreamRelay, RelayFailure
from gateway.stages.request import ProxyKind, RequestShape, parse_request
from gateway.upstream.client import UpstreamClient, UpstreamStream
from gateway.upstream.sse import DONE, encode_event

log = logging.getLogger(__name__)

# What /v1/pii/analyze records for a finding: reported to the caller, nothing applied.
REPORTED = "reported"
_UPSTREAM_PATHS: dict[ProxyKind, str] = {"chat": "/chat/completions", "embeddings": "/embeddings"}
_TEXT = Location(("text",))  # the one text of /v1/pii/redact and /v1/pii/analyze


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
    def __init__(self, *, admission: Admission, detection: PiiDetection, policy: PolicyGate, applier: ActionApplier,
                 vault: PseudonymVault, upstream: UpstreamClient, recorder: Recorder,
                 scan_limits: ScanLimits | None = None, pii_api_max_chars: int | None = None) -> None:
        self._admission = admission
        self._detection = detection
        self._policy = policy
        self._applier = applier
        self._vault = vault
        self._upstream = upstream
        self._recorder = recorder
        self._scan_limits = scan_limits or ScanLimits()
        self._pii_api_max_chars = pii_api_max_chars

    # --- the proxied calls --------------------------------------------------------------

    async def proxy(self, call: ProxyCall) -> ProxyResponse:
        async with self._run(call.kind) as run:
            caller, customer = await self._admit(run, call.headers)
            run.enter("request")
            run.request = request = parse_request(call.kind, call.raw_body, self._scan_limits)
            run.shape = request.shape
            run.pseudonyms = pseudonyms = await self._pseudonym_table(run.decision_id, caller, customer)
            run.enter("detection")
            with run.timed("pii"):
                run.language = self._detection.language_of(request.language_text)
                located = await self._detection.detect(request.scans, scope=_cache_scope(caller.id, pseudonyms))
            decision = await self._decide(run, caller, customer, call.kind, request.model, located)
            run.enter("obligations")
            obligations = apply_obligations(self._applier, request.body, decision.result, located, request.scans,
                                            pseudonyms)
            run.request_findings = obligations.findings
            if obligations.refusal is not None:
                raise obligations.refusal
            run.enter("forwarding")
            self._recorder.require_healthy()
            run.failover = failover = Failover(decision.result.routes)
            if request.streamed:
                return await self._forward_stream(run, failover, obligations.body, self._guards(decision, pseudonyms))
            route, start, upstream = await failover.first_answering(
                lambda route: self._upstream.post_json(route, _UPSTREAM_PATHS[call.kind],
                                                       {**obligations.body, "model": route.model}))
            failover.answered_whole(route, start, first_byte_at=upstream.first_byte_at,
                                    last_byte_at=upstream.last_byte_at)
            run.enter("answer")
            model = run.question.model if run.question else None
            with run.timed("answer"):
                if call.kind == "chat":
                    guarded = await guard_completion(upstream.body, self._guards(decision, pseudonyms),
                                                     completion_id=completion_id_for(run.decision_id), model=model)
                    answer, run.answer_findings, run.answer_chars = (guarded.answer, guarded.findings,
                                                                     guarded.answer_chars)
                else:
                    answer = guard_embeddings(upstream.body, model=model)
            run.usage = answer.get("usage")
            run.enter("completed")
            await self._recorder.record(run, 200)
            return ProxyResponse(run.decision_id, route_headers(route), json=answer)

    async def list_models(self, headers: Mapping[str, str]) -> ProxyResponse:
        async with self._run("models") as run:
            caller, customer = await self._admit(run, headers)
            # A denied listing is a 403 with its rule ids, like every other denied decision.
            decision = await self._decide(run, caller, customer, "models", None, [])
            run.enter("completed")
            await self._recorder.record(run, 200)
            data = [{"id": alias, "object": "model", "created": 0, "owned_by": "govgate"}
                    for alias in decision.result.models]
            return ProxyResponse(run.decision_id, {}, json={"object": "list", "data": data})

    async def redact(self, headers: Mapping[str, str], raw_body: bytes) -> ProxyResponse:
        """Detection and the policy's actions without a model call (POST /v1/pii/redact)."""
        async with self._run("pii") as run:
            caller, customer = await self._admit(run, headers)
            run.enter("request")
            request = parse_model(RedactRequest, parse_json_object(raw_body))
            run.shape = RequestShape.of_text(request.text)
            self._limit_pii_text(request.text)
            run.pseudonyms = pseudonyms = await self._pseudonym_table(run.decision_id, caller, customer)
            scans = [(_TEXT, request.text)]
            run.enter("detection")
            with run.timed("pii"):
                run.language = self._detection.language_of(request.text)
                located = await self._detection.detect(scans, scope=_cache_scope(caller.id, pseudonyms))
            decision = await self._decide(run, caller, customer, "pii", None, located)
            run.enter("obligations")
            obligations = apply_obligations(self._applier, {"text": request.text}, decision.result, located, scans,
                                            pseudonyms)
            run.request_findings = obligations.findings
            if obligations.refusal is not None:
                raise obligations.refusal
            run.enter("completed")
            await self._recorder.record(run, 200)
            findings = [f.model_dump(mode="json", include={"entity_type", "start", "end", "score", "action"})
                        for f in obligations.findings]
            return ProxyResponse(run.decision_id, {}, json={"text": obligations.body["text"], "findings": findings})

    async def analyze(self, headers: Mapping[str, str], raw_body: bytes) -> ProxyResponse:
        """Findings only, no action applied (POST /v1/pii/analyze): admitted, decided (kind
        "pii", as redact) and recorded like every other call. Findings carry spans, never values."""
        async with self._run("pii") as run:
            caller, customer = await self._admit(run, headers)
            run.enter("request")
            request = parse_model(AnalyzeRequest, parse_json_object(raw_body))
            run.shape = RequestShape.of_text(request.text)
            self._limit_pii_text(request.text)
            run.enter("detection")
            with run.timed("pii"):
                # The caller's language hint is what the engine analyses in.
                run.language = request.language or self._detection.language_of(request.text)
                findings = await self._detection.analyze(request.text, request.language, decision_id=run.decision_id)
            await self._decide(run, caller, customer, "pii", None, [(_TEXT, f) for f in findings])
            run.request_findings = [FindingRecord.of(f, location=str(_TEXT), action=REPORTED) for f in findings]
            run.enter("completed")
            await self._recorder.record(run, 200)
            return ProxyResponse(run.decision_id, {},
                                 json={"findings": [finding.model_dump(mode="json") for finding in findings]})

    async def refuse(self, kind: str, headers: Mapping[str, str], error: GatewayError) -> NoReturn:
        """A request refused before its body was read (too large, a method the route lacks).

        Admitted first like any other request (so an anonymous caller gets its 401), then
        recorded and answered with its decision id.
        """
        async with self._run(kind) as run:
            await self._admit(run, headers)
            run.enter("request")
            raise error

    async def flush_anonymous(self, *, everything: bool = False) -> int:
        return await self._recorder.flush_anonymous(everything=everything)

    # --- steps shared by the calls ------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _run(self, kind: str) -> AsyncIterator[Run]:
        """One decision record per call: a failure is recorded, then raised for the caller.

        The error raised carries the decision id only when its record was committed;
        otherwise the caller gets 503 ledger_unavailable without one.
        """
        run = Run(kind)
        try:
            yield run
        except GatewayError as error:
            answer = await self._recorder.record_failure(run, error)
            if answer is error:
                raise
            raise answer from None
        except Exception as exc:
            # A fault of ours: logged with the decision id (where, not what: no data in the
            # log), recorded, and answered as an OpenAI-style 500.
            log.error("unexpected error in decision %s: %s", run.decision_id, describe_fault(exc))
            error = InternalError("internal error; quote the decision id when reporting it")
            raise await self._recorder.record_failure(run, error) from None

    async def _admit(self, run: Run, headers: Mapping[str, str]) -> tuple[AuthenticatedCaller, Customer]:
        """Authenticate the caller, read who the customer is, apply the rate limit."""
        run.caller = caller = await self._admission.caller(headers)
        run.customer = customer = await self._admission.customer(headers)
        self._admission.limit(caller)
        return caller, customer

    async def _decide(self, run: Run, caller: AuthenticatedCaller, customer: Customer, kind: str, model: str | None,
                      located: Sequence[tuple[Any, Finding]]) -> PolicyDecision:
        """Ask the policy; a decision that does not let the request through is raised."""
        run.enter("policy")
        run.question = question = await self._policy.question(caller, customer, kind, model, located)
        with run.timed("policy"):
            run.decision = decision = await self._policy.decide(question)
        if (refusal := decision.refusal(kind)) is not None:
            raise refusal
        return decision

    def _limit_pii_text(self, text: str) -> None:
        if self._pii_api_max_chars is not None and len(text) > self._pii_api_max_chars:
            raise PayloadTooLarge(f"the text is longer than the limit of {self._pii_api_max_chars} characters",
                                  code="text_too_long", param="text")

    async def _pseudonym_table(self, decision_id: str, caller: AuthenticatedCaller,
                               customer: Customer) -> ConversationPseudonyms:
        context = customer.context
        if context.conversation_id is None:
            return self._vault.ephemeral(decision_id)
        key = self._vault.conversation_key(caller.id, context.conversation_id, context.customer_id)
        try:
            return await anyio.to_thread.run_sync(self._vault.load, key)
        except Exception as exc:  # noqa: BLE001 — a vault we cannot read cannot restore: fail closed
            log.error("pseudonym vault unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("the pseudonym vault is unavailable", code="vault_unavailable") from None

    def _guards(self, decision: PolicyDecision, pseudonyms: ConversationPseudonyms) -> AnswerGuards:
        return AnswerGuards(result=decision.result, pseudonyms=pseudonyms, applier=self._applier,
                            detector=self._detection.output)

    # --- a streamed answer --------------------------------------------------------------

    async def _forward_stream(self, run: Run, failover: Failover, body: dict[str, Any],
                              guards: AnswerGuards) -> ProxyResponse:
        """Open the stream (failing over until a deployment answers); the response relays it."""
        route, start, stream = await failover.first_answering(
            lambda route: self._upstream.open_stream(route, "/chat/completions", {**body, "model": route.model}))
        # The decision id goes out with the headers, before the record can be complete: the
        # stream is journalled first, so the id has a record even if this process dies
        # mid-stream (docs/decision-record.md, "Durability").
        try:
            await self._recorder.open_stream(run, failover.opened(route, start, opened_at=stream.opened_at))
        except DecisionNotRecorded:
            await stream.aclose()
            raise
        run.journalled = True
        relay = ChatStreamRelay(stream.events(), model=run.question.model if run.question else None,
                                completion_id=completion_id_for(run.decision_id), guard_for=guards.for_location)

        def ended(outcome: AttemptOutcome, status: int | None) -> None:
            failover.stream_ended(route, start, outcome, status, opened_at=stream.opened_at,
                                  read_wait_s=relay.read_wait_s, first_event_wait_s=relay.first_event_wait_s)

        relayed = self._relayed(run, stream, relay, ended)
        # A response that never starts its body (the caller left before the headers went) never
        # runs the relay, nor its `finally`: the ledger records the journalled stream instead.
        weakref.finalize(relayed, self._recorder.abandon_unstarted, run)
        return ProxyResponse(run.decision_id, route_headers(route), stream=relayed)

    async def _relayed(self, run: Run, stream: UpstreamStream, relay: ChatStreamRelay,
                       ended: Callable[[AttemptOutcome, int | None], None]) -> AsyncIterator[bytes]:
        """Relay the stream through the answer guards; record, then end with [DONE] or an error.

        This generator owns the upstream stream: it is closed and the decision recorded however
        the relay ends, also when the caller goes away (the response task is cancelled, or the
        generator closed): shielded, so cancellation cannot skip either.
        """
        run.enter("answer")
        run.relay_started = True
        failure: RelayFailure | None = RelayFailure(ClientClosedRequest("the caller closed the stream"), "ok")
        ending: GatewayError | None = None
        try:
            async for chunk in relay:
                if run.first_chunk_at is None:
                    run.first_chunk_at = time.perf_counter()
                yield chunk
            failure = relay.failure
        finally:
            with anyio.CancelScope(shield=True):
                # The caller has had every chunk but the ending ([DONE] or an error), which
                # goes once the record is committed.
                run.last_chunk_at = time.perf_counter()
                await stream.aclose()
                ended(failure.outcome if failure else "ok", failure.status if failure else None)
                run.answer_findings = [finding for guard in relay.guards.values() for finding in guard.findings()]
                run.answer_chars = relay.answer_chars
                run.stage_ms["answer"] = round(relay.answer_s * 1000, 3)
                run.usage = relay.usage
                if failure is None:
                    run.enter("completed")
                ending = await self._record_stream(run, failure)
        yield encode_event(ending.body()) if ending is not None else encode_event(DONE)

    async def _record_stream(self, run: Run, failure: RelayFailure | None) -> GatewayError | None:
        """Record the streamed decision; the error to end the stream with, if any."""
        error = failure.error if failure else None
        try:
            await self._recorder.record(run, error.status_code if error else 200, error.code if error else None)
        except GatewayError as unrecorded:
            return unrecorded
        if error is not None:
            error.decision_id = run.decision_id
        return error


def _cache_scope(caller_id: str, pseudonyms: ConversationPseudonyms) -> str:
    """The conversation when the request names one, else the calling service."""
    if pseudonyms.ephemeral:
        return f"caller:{caller_id}"
    return f"conversation:{pseudonyms.conversation_key}"
