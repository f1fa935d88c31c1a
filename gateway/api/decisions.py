"""The decision log: read records, verify the chain. Compliance and security roles only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request

from gateway.api.deps import authenticated, services
from gateway.errors import GatewayError

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
READER_ROLES = ("compliance_officer", "security_admin", "admin")


class DecisionNotFound(GatewayError):
    status_code = 404
    error_type = "invalid_request_error"
    default_code = "decision_not_found"


@router.get("")
async def list_decisions(request: Request, since: datetime | None = None, caller: str | None = None,
                         limit: int = Query(default=50, ge=1, le=500),
                         before_seq: int | None = None) -> dict[str, Any]:
    authenticated(request, *READER_ROLES)
    ledger = services(request).ledger
    records = await anyio.to_thread.run_sync(
        lambda: ledger.list(since=since, caller=caller, limit=limit, before_seq=before_seq)
    )
    return {"object": "list", "data": [r.model_dump(mode="json") for r in records]}


@router.get("/verify")
async def verify_chain(request: Request) -> dict[str, Any]:
    authenticated(request, *READER_ROLES)
    check = await anyio.to_thread.run_sync(services(request).ledger.verify)
    return {"ok": check.ok, "checked": check.checked, "first_bad_seq": check.first_bad_seq, "problem": check.problem}


@router.get("/{decision_id}")
async def get_decision(request: Request, decision_id: str) -> dict[str, Any]:
    caller = authenticated(request)
    record = await anyio.to_thread.run_sync(services(request).ledger.get, decision_id)
    # A caller may read its own decisions; readers may read all.
    if record is None or (record.caller != caller.id and not set(READER_ROLES) & set(caller.roles)):
        raise DecisionNotFound(f"no decision {decision_id} that you may read")
    return record.model_dump(mode="json")
