"""Outcomes: what happened after a decision, reported later by the service (POST /v1/outcomes).

An outcome attaches to one decision (`decision_id`) or to a whole conversation
(`conversation_id`, the caller's raw X-Conversation-Id, looked up by its keyed HMAC as the
ledger stores it). It is stored in its own hash-chained table, never in the decision record.

Outcome codes: one of `BUILTIN_OUTCOMES`, or a site's own code `site:<word>`, the word a
lower-case ASCII letter then up to 47 of a-z 0-9 _ (e.g. `site:callback_promised`).

`OutcomeRequest` is the body, strict: every field has one rule, written once in `RULES`, and
a refusal names the field and its rule, never the value sent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gateway.errors import BadRequest

BUILTIN_OUTCOMES = ("resolved", "escalated", "refund_granted", "refund_denied", "abandoned")
SITE_PREFIX = "site:"
# Clocks differ: an outcome may say it happened this much after "now", or before its decision.
MAX_CLOCK_SKEW = timedelta(minutes=5)

# At most 4 digits in all: a site's code names a kind of outcome ("tier2_callback"), and a
# phone, card or id number split by underscores would otherwise be stored as it was sent.
SITE_WORD_MAX_DIGITS = 4
_SITE_WORD = re.compile(rf"(?!(?:[^0-9]*[0-9]){{{SITE_WORD_MAX_DIGITS + 1}}})[a-z][a-z0-9_]{{0,47}}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # outcome ids, and conversation ids as X-Conversation-Id
_DECISION_ID = re.compile(r"dec_[0-9a-f]{32}")
# ISO 8601 with seconds and an explicit zone; [0-9], not \d, which takes any script's digits.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
                        r"(Z|[+-][0-9]{2}:[0-9]{2})")

RULES = {
    "outcome_id": "your own id for this report, 1-128 characters of A-Z a-z 0-9 . _ : -",
    "decision_id": "'dec_' and 32 hexadecimal digits",
    "conversation_id": "the X-Conversation-Id you sent, 1-128 characters of A-Z a-z 0-9 . _ : -",
    "outcome": f"one of {', '.join(BUILTIN_OUTCOMES)}, or '{SITE_PREFIX}' and a lower-case word "
               f"(a-z, then up to 47 of a-z 0-9 _, with at most {SITE_WORD_MAX_DIGITS} digits)",
    "csat": "an integer from 1 to 5",
    "occurred_at": "an ISO 8601 time with seconds and a zone, e.g. 2026-12-02T10:30:00Z",
}


def is_outcome_code(code: str) -> bool:
    if code in BUILTIN_OUTCOMES:
        return True
    return code.startswith(SITE_PREFIX) and _SITE_WORD.fullmatch(code.removeprefix(SITE_PREFIX)) is not None


def _matching(pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError("does not match")
        return value

    return AfterValidator(check)


def _code(value: str) -> str:
    if not is_outcome_code(value):
        raise ValueError("unknown outcome")
    return value


def _timestamp(value: Any) -> Any:
    """A string in the one accepted form, as an aware UTC datetime."""
    if value is None:
        return None
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise ValueError("not a timestamp")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):  # 2026-13-01, 0001-01-01T00:00:00+14:00
        raise ValueError("not a time") from None


class OutcomeRequest(BaseModel):
    """The body of POST /v1/outcomes: exactly one of decision_id and conversation_id."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    outcome_id: Annotated[str, _matching(_CLIENT_ID)]
    decision_id: Annotated[str, _matching(_DECISION_ID)] | None = None
    conversation_id: Annotated[str, _matching(_CLIENT_ID)] | None = None
    outcome: Annotated[str, AfterValidator(_code)]
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    occurred_at: Annotated[datetime | None, BeforeValidator(_timestamp)] = None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> OutcomeRequest:
        """The body as a request, or a BadRequest naming the field and its rule (never the value)."""
        try:
            request = cls.model_validate(body)
        except ValidationError as exc:
            raise _refusal(exc) from None
        if (request.decision_id is None) == (request.conversation_id is None):
            raise BadRequest("give exactly one of decision_id and conversation_id", code="invalid_target")
        return request


def _refusal(exc: ValidationError) -> BadRequest:
    first = exc.errors(include_url=False, include_input=False)[0]
    field = first["loc"][0] if first["loc"] else None
    if first["type"] == "extra_forbidden" or field not in RULES:
        # The unknown name is the caller's input: not repeated back.
        return BadRequest(f"unknown field; an outcome takes only: {', '.join(RULES)}", code="unknown_field")
    if first["type"] == "missing":
        return BadRequest(f"{field} is required: {RULES[field]}", param=str(field))
    return BadRequest(f"{field} must be {RULES[field]}", param=str(field))


class OutcomeRecord(BaseModel):
    """An outcome as stored and hashed. No raw identifier: ids are keyed HMACs.

    `subject_caller` is whose decisions it concerns: the decision's caller, or for a
    conversation the bot that reported it; None when an admin reported it for a conversation
    (then it concerns every decision of that conversation).
    """

    outcome_key: str  # keyed HMAC of the reporter's outcome_id
    reported_by: str
    decision_id: str | None = None
    conversation_id: str | None = None
    subject_caller: str | None = None
    outcome: str
    csat: int | None = None
    occurred_at: datetime
    occurred_at_reported: bool  # False: the time it was received stands in
    recorded_at: datetime
    # Integrity: filled by the outcome store when the record joins the outcome chain.
    seq: int | None = None
    prev_hash: str | None = None
    record_hash: str | None = None

    def same_report(self, other: OutcomeRecord) -> bool:
        """Whether `other` reports the same thing (what an idempotent retry must repeat)."""
        def said(record: OutcomeRecord) -> tuple[Any, ...]:
            return (record.decision_id, record.conversation_id, record.outcome, record.csat,
                    record.occurred_at_reported, record.occurred_at if record.occurred_at_reported else None)

        return said(self) == said(other)

    def concerns(self, *, decision_id: str, conversation_id: str | None, caller: str | None) -> bool:
        """Whether this outcome belongs to that decision (directly or through its conversation)."""
        if self.decision_id is not None:
            return self.decision_id == decision_id
        return (conversation_id is not None and self.conversation_id == conversation_id
                and (self.subject_caller is None or self.subject_caller == caller))


def check_time(occurred_at: datetime, *, now: datetime, not_before: datetime) -> None:
    """Not in the future, not before the decision (each within MAX_CLOCK_SKEW)."""
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise BadRequest("occurred_at is in the future", param="occurred_at")
    if occurred_at < not_before - MAX_CLOCK_SKEW:
        raise BadRequest("occurred_at is before the decision it reports on", param="occurred_at")
