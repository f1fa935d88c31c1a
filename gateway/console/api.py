"""The JSON behind the console's pages, under /console/api/ — the same session, the same
role per part as the pages (web.ROLES), the same data (queries.py). Read-only: every change
goes through a page's form, with its CSRF token."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.audits import AUDIT_ID
from gateway.api.decisions import DECISION_ID
from gateway.console import queries
from gateway.console.web import PREFIX, console_of, error_body, json_response, viewer

router = APIRouter(prefix=PREFIX + "/api", include_in_schema=False)


async def _blocking(function: Any, *args: Any) -> Any:
    return await anyio.to_thread.run_sync(function, *args)


def _not_found(what: str) -> Response:
    return json_response(error_body(f"no such {what}", code=f"{what}_not_found", status=404), status_code=404)


@router.get("/overview")
async def overview(request: Request) -> Response:
    await viewer(request, "overview", as_json=True)
    window = request.query_params.get("window", "24h")
    if window not in queries.OVERVIEW_WINDOWS:
        return json_response(error_body(f"window must be one of: {', '.join(queries.OVERVIEW_WINDOWS)}",
                                        code="invalid_request", status=400), status_code=400)
    figures = await _blocking(queries.overview, request.app.state.services, window)
    return json_response({"window": window, **queries.as_json(figures)})


@router.get("/decisions")
async def decisions(request: Request) -> Response:
    seen = await viewer(request, "decisions", as_json=True)
    query = queries.DecisionQuery.parse(list(request.query_params.multi_items()))
    page = await _blocking(lambda: queries.decisions(request.app.state.services, query, role=seen.role))
    return json_response({"object": "list", **queries.as_json(page)})


@router.get("/decisions/{decision_id}")
async def decision(request: Request, decision_id: str) -> Response:
    seen = await viewer(request, "decisions", as_json=True)
    found = await _blocking(queries.decision, request.app.state.services, decision_id, seen.lang) \
        if DECISION_ID.fullmatch(decision_id) else None
    if found is None:
        return _not_found("decision")
    return json_response({"record": queries.as_json(found["record"]),
                          "explanation": queries.as_json(found["explanation"])})


@router.get("/audits")
async def audits(request: Request) -> Response:
    await viewer(request, "audits", as_json=True)
    log = request.app.state.services.audits.audits
    listed = await _blocking(lambda: log.page(limit=50))
    return json_response({"object": "list", "data": [queries.as_json(a) for a in listed]})


@router.get("/audits/{audit_id}")
async def audit(request: Request, audit_id: str) -> Response:
    await viewer(request, "audits", as_json=True)
    view = await _blocking(queries.audit, request.app.state.services, audit_id) if AUDIT_ID.fullmatch(audit_id) \
        else None
    if view is None:
        return _not_found("audit")
    body = queries.as_json(view)
    body["audit"].pop("report_text", None)  # the report is `report`, parsed (and only when its sha256 holds)
    return json_response(body)


@router.get("/policies")
async def policies(request: Request) -> Response:
    await viewer(request, "policies", as_json=True)
    view = await _blocking(queries.policies, request.app.state.services, console_of(request).test_reports)
    return json_response(queries.as_json(view))


@router.get("/activity")
async def activity(request: Request) -> Response:
    await viewer(request, "activity", as_json=True)
    query = queries.ActivityQuery.parse(list(request.query_params.multi_items()))
    page = await _blocking(queries.activity, console_of(request).auth.store, query)
    return json_response({"object": "list", **queries.as_json(page)})
