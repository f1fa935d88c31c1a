"""The decision log: read records, verify the chain. Compliance and security roles only.

Every parameter is bounded before it reaches the database: times without a zone are read
as UTC, sequence numbers fit 63 bits, text carries no control characters, a decision id has
the shape the gateway gives them. Nothing a caller sent is echoed back.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request

from gateway.api.deps import authenticated, services
from gateway.api.query import strict_query
from gateway.auth import AuthenticatedCaller
from gateway.errors import BadRequest, GatewayError
from gateway.store.ledger import as_utc

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
READER_ROLES = ("compliance_officer", "security_admin", "admin")
MAX_SEQ = 2**63 - 1  # the seq column is a 64-bit signed integer
MAX_CALLER_LENGTH = 128
DECISION_ID = re.compile(r"dec_[0-9a-f]{32}")


class DecisionNotFound(GatewayError):
    status_code = 404
    error_type = "invalid_request_error"
    default_code = "decision_not_found"


async def _reader(request: Request) -> AuthenticatedCaller:
    return await authenticated(request, *READER_ROLES)


async def _anyone(request: Request) -> AuthenticatedCaller:
    return await authenticated(request)


@router.get("")
async def list_decisions(request: Request, _reader: AuthenticatedCaller = Depends(_reader),
                         _query: None = Depends(strict_query("since", "caller", "limit", "before_seq")),
                         since: datetime | None = Query(default=None, description="a time without a zone is UTC"),
                         caller: str | None = Query(default=None, min_length=1, max_length=MAX_CALLER_LENGTH),
                         limit: int = Query(default=50, ge=1, le=500),
                         before_seq: int | None = Query(default=None, ge=1, le=MAX_SEQ)) -> dict[str, Any]:
    ledger = services(request).ledger
    try:
        since_utc = as_utc(since) if since is not None else None
    except OverflowError:
        raise BadRequest("since is outside the range of dates", param="since") from None
    records = await anyio.to_thread.run_sync(
        lambda: ledger.list(since=since_utc, caller=caller, limit=limit, before_seq=before_seq)
    )
    return {"object": "list", "data": [r.model_dump(mode="json") for r in records]}


@router.get("/verify")
async def verify_chain(request: Request, _reader: AuthenticatedCaller = Depends(_reader),
                       _query: None = Depends(strict_query())) -> dict[str, Any]:
    check = await anyio.to_thread.run_sync(services(request).ledger.verify)
    return {"ok": check.ok, "checked": check.checked, "first_bad_seq": check.first_bad_seq, "problem": check.problem}


@router.get("/{decision_id}")
async def get_decision(request: Request, decision_id: str, caller: AuthenticatedCaller = Depends(_anyone),
                       _query: None = Depends(strict_query())) -> dict[str, Any]:
    if not DECISION_ID.fullmatch(decision_id):
        raise BadRequest("decision_id must be 'dec_' and 32 hexadecimal digits", param="decision_id")
    record = await anyio.to_thread.run_sync(services(request).ledger.get, decision_id)
    # A caller may read its own decisions; readers may read all.
    if record is None or (record.caller != caller.id and not set(READER_ROLES) & set(caller.roles)):
        raise DecisionNotFound("no such decision that you may read", param="decision_id")
    return record.model_dump(mode="json")
