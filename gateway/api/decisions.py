"""The decision log: read records and their explanations, verify the chains. Compliance and
security roles only (a caller may read its own decisions, and their explanations, by id).

Reads go through `DecisionLog` (gateway/store/decision_log.py), never the ledger's writer.
Every parameter is bounded before it reaches the database: times without a zone are read
as UTC, sequence numbers fit 63 bits, text carries no control characters, a decision id has
the shape the gateway gives them. Nothing a caller sent is echoed back.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request

from explainers.decision import explain
from explainers.models import Lang
from gateway.api.deps import authenticated, services
from gateway.api.query import strict_query
from gateway.auth import AuthenticatedCaller
from gateway.decision import DecisionRecord
from gateway.errors import BadRequest, DecisionNotFound
from gateway.store.decision_log import DecisionFilter, as_utc

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
READER_ROLES = ("compliance_officer", "security_admin", "admin")
MAX_SEQ = 2**63 - 1  # the seq column is a 64-bit signed integer
MAX_CALLER_LENGTH = 128
DECISION_ID = re.compile(r"dec_[0-9a-f]{32}")
# As the record stores them: a listed word, or `unlisted:<keyed hash>` (gateway/identifiers.py).
STORED_WORD = r"^[a-z0-9][a-z0-9._:-]{0,127}$"
STORED_REGION = r"^[A-Z]{2,8}$|^unlisted:[0-9a-f]{1,64}$"
Kind = Literal["chat", "embeddings", "models", "pii", "aggregate"]
LIST_PARAMETERS = ("since", "until", "caller", "purpose", "region", "kind", "status_code", "allowed", "limit",
                   "before_seq")


def _utc(moment: datetime | None, name: str) -> datetime | None:
    try:
        return as_utc(moment) if moment is not None else None
    except OverflowError:
        raise BadRequest(f"{name} is outside the range of dates", param=name) from None


async def _reader(request: Request) -> AuthenticatedCaller:
    return await authenticated(request, *READER_ROLES)


async def _anyone(request: Request) -> AuthenticatedCaller:
    return await authenticated(request)


@router.get("")
async def list_decisions(request: Request, _reader: AuthenticatedCaller = Depends(_reader),
                         _query: None = Depends(strict_query(*LIST_PARAMETERS)),
                         since: datetime | None = Query(default=None, description="a time without a zone is UTC"),
                         until: datetime | None = Query(default=None, description="exclusive; no zone is UTC"),
                         caller: str | None = Query(default=None, min_length=1, max_length=MAX_CALLER_LENGTH),
                         purpose: str | None = Query(default=None, pattern=STORED_WORD),
                         region: str | None = Query(default=None, pattern=STORED_REGION),
                         kind: Kind | None = Query(default=None),
                         status_code: int | None = Query(default=None, ge=100, le=599),
                         allowed: bool | None = Query(default=None),
                         limit: int = Query(default=50, ge=1, le=500),
                         before_seq: int | None = Query(default=None, ge=1, le=MAX_SEQ)) -> dict[str, Any]:
    where = DecisionFilter(caller=caller, purpose=purpose, region=region, kind=kind, status_code=status_code,
                           allowed=allowed)
    since_utc, until_utc = _utc(since, "since"), _utc(until, "until")
    log = services(request).decision_log
    records = await anyio.to_thread.run_sync(
        lambda: log.page(where=where, since=since_utc, until=until_utc, before_seq=before_seq, limit=limit))
    return {"object": "list", "data": [r.model_dump(mode="json") for r in records]}


@router.get("/verify")
async def verify_chain(request: Request, _reader: AuthenticatedCaller = Depends(_reader),
                       _query: None = Depends(strict_query())) -> dict[str, Any]:
    """Both chains, decisions and outcomes; `ok` only when both are intact."""
    check = await anyio.to_thread.run_sync(services(request).decision_log.verify)
    return check.as_dict()


async def _readable(request: Request, decision_id: str, caller: AuthenticatedCaller) -> DecisionRecord:
    """The record, if this caller may read it: its own decisions, or any for readers. Another
    caller's decision is the same 404 as a missing one, so nothing about it leaks."""
    if not DECISION_ID.fullmatch(decision_id):
        raise BadRequest("decision_id must be 'dec_' and 32 hexadecimal digits", param="decision_id")
    record = await anyio.to_thread.run_sync(services(request).decision_log.get, decision_id)
    if record is None or (record.caller != caller.id and not set(READER_ROLES) & set(caller.roles)):
        raise DecisionNotFound("no such decision that you may read", param="decision_id")
    return record


@router.get("/{decision_id}")
async def get_decision(request: Request, decision_id: str, caller: AuthenticatedCaller = Depends(_anyone),
                       _query: None = Depends(strict_query())) -> dict[str, Any]:
    record = await _readable(request, decision_id, caller)
    return record.model_dump(mode="json")


@router.get("/{decision_id}/explanation")
async def explain_decision(request: Request, decision_id: str, caller: AuthenticatedCaller = Depends(_anyone),
                           _query: None = Depends(strict_query("lang")),
                           lang: Lang = Query(default="en", description="the text's language: en or zh")
                           ) -> dict[str, Any]:
    """Why the decision came out as it did: a structured account and a plain-language text
    (docs/explanations.md). Who may read it: as for the decision itself."""
    record = await _readable(request, decision_id, caller)
    log = services(request).decision_log
    document = await anyio.to_thread.run_sync(lambda: explain(log, record, lang=lang))
    return document.model_dump(mode="json")
