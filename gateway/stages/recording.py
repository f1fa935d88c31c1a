"""Recording: what each stage returned, kept on the request's `Run`, and the decision record
assembled from it in one place (`assemble`), written through the ledger (`Recorder`).

Every outcome leaves one record, committed before the response completes. A stream is also
journalled before its headers go out (`open_stream`): should it never end, its provisional
record becomes its record ("interrupted"; gateway/store/ledger.py). A refusal whose
record cannot be written is answered 503 without a decision id: the caller never holds an id
the ledger does not have.

The pipeline says which stage it has entered (`Run.enter`), so a record tells where its
request stopped; docs/decision-record.md lists the stages and says what each clock measures.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.anonymous import AnonymousRefusals
from gateway.auth import AuthenticatedCaller, PreAuthLimited
from gateway.decision import DecisionRecord, Features, FindingRecord, PolicyRecord, RouteRecord, Stage, Timings
from gateway.errors import DecisionNotRecorded, GatewayError, ServiceUnavailable, Unauthenticated
from gateway.keys import KeyedDigest
from gateway.limits import client_address
from gateway.pii.findings import Language
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.pii.vault import PseudonymVault
from gateway.stages.admission import Customer
from gateway.stages.forwarding import Failover
from gateway.stages.policy import PolicyDecision, PolicyQuestion
from gateway.stages.request import ParsedRequest, RequestShape
from gateway.store.ledger import INTERRUPTED, DecisionLedger, LedgerUnavailable

log = logging.getLogger(__name__)


@dataclass
class Run:
    """One request in flight: what its stages have returned so far, and its clocks.

    Only the pipeline sets these, each from a stage's return value; a stage never sees the Run.
    """

    kind: str
    decision_id: str = field(default_factory=lambda: f"dec_{uuid.uuid4().hex}")
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.perf_counter)
    stage: Stage = "admission"  # the stage entered last: where the request stopped, if it did
    caller: AuthenticatedCaller | None = None
    customer: Customer | None = None
    request: ParsedRequest | None = None
    shape: RequestShape | None = None
    language: Language | None = None
    question: PolicyQuestion | None = None
    decision: PolicyDecision | None = None
    request_findings: list[FindingRecord] = field(default_factory=list)
    pseudonyms: ConversationPseudonyms | None = None
    failover: Failover | None = None
    answer_findings: list[FindingRecord] = field(default_factory=list)
    answer_chars: int | None = None
    usage: dict[str, Any] | None = None
    stage_ms: dict[str, float] = field(default_factory=dict)  # pii, policy, answer
    # A stream's first and last chunk handed to the server (perf_counter); None: a whole answer.
    first_chunk_at: float | None = None
    last_chunk_at: float | None = None
    client_pseudonym: str | None = None  # an anonymous refusal's address, as a keyed hash
    journalled: bool = False  # a stream whose provisional record is in the open-stream journal
    relay_started: bool = False  # a stream whose relay ran (and so records its end)

    def enter(self, stage: Stage) -> None:
        self.stage = stage

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stage_ms[stage] = _ms_since(start)


def assemble(run: Run, status_code: int, error_code: str | None, *, pipeline_mode: str) -> DecisionRecord:
    """The decision record, from what the stages returned. Never a raw value: the customer and
    conversation as keyed hashes, findings as types and spans, the texts as counts."""
    customer = run.customer.context if run.customer else None
    masked, erased = [], []
    if run.customer is not None and run.customer.conversation is not None:
        masked.append("/headers/x-conversation-id")
    if run.customer is not None and run.customer.pseudonym is not None:
        masked.append("/headers/x-customer-id")
    if customer is not None and customer.attributes:
        erased.append("/upstream/headers/x-customer-attributes")
    if run.request is not None:
        erased.extend(run.request.erased)
    result = run.decision.result if run.decision else None
    failover = run.failover
    now = time.perf_counter()
    total = _ms(now - run.started)
    upstream_ms = failover.upstream_ms if failover else 0.0
    attempts = failover.attempts if failover else []
    answered = failover.answered if failover else None
    shape = run.shape
    return DecisionRecord(
        decision_id=run.decision_id,
        created_at=run.created_at,
        kind=run.kind,
        caller=run.caller.id if run.caller else None,
        conversation_id=run.customer.conversation if run.customer else None,
        customer_pseudonym=run.customer.pseudonym if run.customer else None,
        purpose=customer.purpose if customer else None,
        customer_region=customer.region if customer else None,
        customer_attributes=customer.attributes if customer else {},
        model=run.question.model if run.question else None,
        streamed=run.request.streamed if run.request else False,
        allowed=result.allow if result else None,
        stage=run.stage,
        reasons=[*result.deny, *result.reasons] if result else [],
        findings=[*run.request_findings, *run.answer_findings],
        policy=PolicyRecord(
            bundle_hash=run.question.engine.bundle_hash if run.question else None,
            engine=run.question.engine.name if run.question else None,
            input=run.question.input if run.question else None,
            result=result,
            shadow=run.decision.shadow if run.decision else None,
            pipeline_mode=pipeline_mode,
        ),
        route=RouteRecord(
            deployment=answered.deployment if answered else None,
            provider=answered.provider if answered else None,
            region=answered.region if answered else None,
            model=answered.model if answered else None,
            attempts=list(attempts),
        ),
        timings=Timings(
            total=total,
            pii=run.stage_ms.get("pii", 0.0),
            policy=run.stage_ms.get("policy", 0.0),
            answer=run.stage_ms.get("answer"),
            upstream_ttft=failover.first_byte_ms if failover else None,
            upstream_total=round(upstream_ms, 3) if attempts else None,
            overhead=round(total - upstream_ms, 3),
            # A whole answer (or a refusal) is ready when its record is: the caller gets it
            # all at once, after the commit.
            client_ttfb=_ms((now if run.first_chunk_at is None else run.first_chunk_at) - run.started),
            client_total=_ms((now if run.last_chunk_at is None else run.last_chunk_at) - run.started),
        ),
        features=Features(
            message_chars=shape.message_chars if shape else None,
            prompt_chars=shape.prompt_chars if shape else None,
            language=run.language,
            turns=shape.turns if shape else None,
            channel=customer.channel if customer else None,
            answer_chars=run.answer_chars,
        ),
        status_code=status_code,
        error_code=error_code,
        usage={k: v for k, v in run.usage.items() if isinstance(v, int)} if run.usage else None,
        erased=erased,
        masked=masked,
        client_pseudonym=run.client_pseudonym,
    )


class Recorder:
    def __init__(self, *, ledger: DecisionLedger, vault: PseudonymVault, digest: KeyedDigest,
                 anonymous: AnonymousRefusals | None = None, pipeline_mode: str = "full") -> None:
        """`pipeline_mode`: "full" in production; benchmark modes say so in every record."""
        self._ledger = ledger
        self._vault = vault
        self._digest = digest
        self._anonymous = anonymous
        self._pipeline_mode = pipeline_mode

    def require_healthy(self) -> None:
        """Before anything goes upstream: a ledger that cannot record means no upstream call."""
        if not self._ledger.healthy:
            raise ServiceUnavailable("the decision ledger is unavailable; the request was not sent upstream",
                                     code="ledger_unavailable")

    async def record(self, run: Run, status_code: int, error_code: str | None = None) -> None:
        record = assemble(run, status_code, error_code, pipeline_mode=self._pipeline_mode)
        entries = self._vault.entries_to_persist(run.pseudonyms) if run.pseudonyms is not None else []
        try:
            await self._ledger.record(record, entries, closes_stream=run.journalled)
        except LedgerUnavailable:
            raise DecisionNotRecorded() from None

    async def open_stream(self, run: Run, opened: Failover) -> None:
        """Journal a stream before its headers (and decision id) go out; raises DecisionNotRecorded.

        The provisional record is what the request's record says should the stream never end:
        answered (200), cut in the answer stage (error "interrupted"), with the request's
        findings and the route as it opened (`opened`), no client clocks. Built like every
        record, so it holds no raw value either.
        """
        provisional = assemble(dataclasses.replace(run, failover=opened, stage="answer"), 200, INTERRUPTED,
                               pipeline_mode=self._pipeline_mode)
        provisional = provisional.model_copy(update={"timings": provisional.timings.model_copy(
            update={"client_ttfb": None, "client_total": None})})
        try:
            await self._ledger.open_stream(provisional)
        except LedgerUnavailable:
            raise DecisionNotRecorded() from None

    def abandon_unstarted(self, run: Run) -> None:
        """A journalled stream whose relay never ran records no end: its provisional record
        is its record (the ledger's next heartbeat chains it)."""
        if run.journalled and not run.relay_started:
            self._ledger.abandon_stream(run.decision_id)

    async def record_failure(self, run: Run, error: GatewayError) -> GatewayError:
        """Record a refusal; returns the error to answer with.

        That is `error` with its decision id once recorded, or DecisionNotRecorded (503, no
        id) when the record could not be written. Anonymous refusals past the first few per
        address are counted into an aggregate record instead (gateway/anonymous.py).
        """
        if isinstance(error, DecisionNotRecorded):
            return error  # the record itself is what failed
        if self._anonymous is not None and run.caller is None and isinstance(error, Unauthenticated | PreAuthLimited):
            client = self._digest(client_address() or "unknown")
            aggregate = self._anonymous.fold(client, kind=run.kind, status_code=error.status_code,
                                             error_code=error.code)
            if aggregate is not None:
                error.decision_id = aggregate
                return error
            run.client_pseudonym = client
        try:
            await self.record(run, error.status_code, error.code)
        except DecisionNotRecorded as unrecorded:
            log.error("could not record failed decision %s", run.decision_id)
            return unrecorded
        error.decision_id = run.decision_id
        return error

    async def flush_anonymous(self, *, everything: bool = False) -> int:
        """Write the aggregate records of anonymous refusals whose window ended (or all)."""
        if self._anonymous is None:
            return 0
        records = self._anonymous.drain() if everything else self._anonymous.due()
        for record in records:
            # Counted refusals carry the mode too: a benchmark's flood is a benchmark record.
            record = record.model_copy(update={"policy": PolicyRecord(pipeline_mode=self._pipeline_mode)})
            try:
                await self._ledger.record(record)
            except LedgerUnavailable:
                log.error("could not record aggregate %s of %d anonymous refusals", record.decision_id,
                          record.aggregate.count if record.aggregate else 0)
        return len(records)


def _ms_since(start: float) -> float:
    return _ms(time.perf_counter() - start)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
