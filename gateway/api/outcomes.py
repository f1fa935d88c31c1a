"""POST /v1/outcomes: a service reports what happened after a decision, or in a conversation.

Who may report (docs/decision-record.md, "Outcomes"):
- `bot`: on its own decisions (the record's caller is the bot) and its own conversations (one
  in which it made a decision); anything else is a 404, as if it did not exist.
- `admin`: on any decision or conversation (backfills, corrections); recorded as its reporter.
- `compliance_officer` and `security_admin` alone: 403. Auditors read outcomes, they do not
  write the facts they audit.

Answers 201 with the stored outcome, or 200 with the same stored outcome when the reporter
repeats an outcome_id with the same report; 409 when it reuses one for a different report;
429 (with Retry-After) past GOVGATE_RATE_LIMIT_PER_MINUTE reports from one caller in a
minute, a window apart from its model calls' (gateway/ratelimit.py); 503 when the database
could not take the write (nothing stored: retrying is safe).
Every refusal is an OpenAI-style error that names the field, never its value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.api.deps import authenticated, services
from gateway.auth import AuthenticatedCaller
from gateway.errors import Conflict, ConversationNotFound, DecisionNotFound, PayloadTooLarge, ServiceUnavailable
from gateway.json_body import parse_json_object
from gateway.keys import KeyedDigest
from gateway.limits import read_body
from gateway.openai_types import inline_schema
from gateway.outcome import OutcomeRecord, OutcomeRequest, check_time
from gateway.store.decision_log import DecisionLog, as_utc
from gateway.store.outcomes import Attached, OutcomeConflict, OutcomesUnavailable, OutcomeStore

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"])
REPORTER_ROLES = ("bot", "admin")
ANY_SUBJECT_ROLES = ("admin",)


@router.post("", status_code=201, openapi_extra={"requestBody": {"required": True, "content": {
    "application/json": {"schema": inline_schema(OutcomeRequest)}}}})
async def report_outcome(request: Request) -> JSONResponse:
    caller = await authenticated(request, *REPORTER_ROLES)
    state = services(request)
    state.outcome_limiter.check(caller.id)  # 429 with Retry-After, before the body is read
    raw = await read_body(request)
    if isinstance(raw, PayloadTooLarge):
        raise raw
    report = OutcomeRequest.parse(parse_json_object(raw, unique_keys=True))
    attached = await anyio.to_thread.run_sync(lambda: attach(
        report, caller, log=state.decision_log, store=state.outcomes, conversations=state.ledger_digest,
        outcome_ids=state.outcome_digest, now=datetime.now(UTC)))
    return JSONResponse(outcome_body(attached.record, report.outcome_id), status_code=201 if attached.created else 200)


def attach(report: OutcomeRequest, caller: AuthenticatedCaller, *, log: DecisionLog, store: OutcomeStore,
           conversations: KeyedDigest, outcome_ids: KeyedDigest, now: datetime) -> Attached:
    """Check the target and the time, then store (blocking: run in a worker thread)."""
    any_subject = bool(set(ANY_SUBJECT_ROLES) & set(caller.roles))
    decision_id = conversation = None
    if report.decision_id is not None:
        record = log.get(report.decision_id)
        if record is None or (not any_subject and record.caller != caller.id):
            raise DecisionNotFound("no such decision that you may report on", param="decision_id")
        decision_id, subject, started = record.decision_id, record.caller, record.created_at
    else:
        assert report.conversation_id is not None  # OutcomeRequest.parse: exactly one target
        conversation = conversations(report.conversation_id)
        subject = None if any_subject else caller.id
        started = log.conversation_started(conversation, caller=subject)
        if started is None:
            raise ConversationNotFound("no such conversation that you may report on", param="conversation_id")
    occurred_at = report.occurred_at or now
    check_time(occurred_at, now=now, not_before=as_utc(started))
    outcome = OutcomeRecord(
        outcome_key=outcome_ids(report.outcome_id), reported_by=caller.id, decision_id=decision_id,
        conversation_id=conversation, subject_caller=subject, outcome=report.outcome, csat=report.csat,
        occurred_at=occurred_at, occurred_at_reported=report.occurred_at is not None, recorded_at=now)
    try:
        return store.attach(outcome)
    except OutcomeConflict:
        raise Conflict("this outcome_id was already used for a different report; use a new outcome_id",
                       code="outcome_conflict", param="outcome_id") from None
    except OutcomesUnavailable:
        raise ServiceUnavailable("the outcome could not be stored; nothing was recorded, retry with the same "
                                 "outcome_id", code="outcomes_unavailable") from None


def outcome_body(stored: OutcomeRecord, outcome_id: str) -> dict[str, Any]:
    return {"object": "outcome", "outcome_id": outcome_id, **stored.model_dump(mode="json")}


