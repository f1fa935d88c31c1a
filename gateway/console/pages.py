"""The console's pages and forms (server-rendered, no script).

    GET  /console/login, POST /console/login, POST /console/logout, POST /console/lang
    GET  /console/                      overview (every console role); POST /console/verify
    GET  /console/decisions[/{id}]      search, a decision with its explanation and outcomes
    GET  /console/audits[/{id}]         audits, a report; POST /console/audits runs one now
    GET  /console/audits/{id}/files/{format}
    GET  /console/policies[/file]       the active policy, its history and tests (security)
    POST /console/policies/replay       what a proposed policy would change (and its tests)
    POST /console/policies/activate     put a reviewed candidate in place (security_admin, admin)
    GET  /console/activity              sign-ins and actions (security_admin, admin)

Every form carries the session's CSRF token (the sign-in form a cookie-bound one); every
action that changes something is recorded as a console event.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from audits.render import render_fragment, report_css
from gateway.api.audits import AUDIT_ID, file_response, parse_audit_request, queue_audit
from gateway.api.decisions import DECISION_ID
from gateway.console import queries
from gateway.console.candidates import CandidateError, keep_upload, prepared, prepared_dir, snapshot
from gateway.console.texts import LANGS, Lang, text
from gateway.console.web import (LOGIN_COOKIE, PREFIX, SESSION_COOKIE, SIGN_IN_QUEUE, Refused, SignInNeeded, Viewer,
                                 check_origin, console_of, posted_form, redirect, refuse_api_keys, render, safe_next,
                                 secure, viewer)
from gateway.errors import GatewayError, RateLimited
from gateway.limits import client_address
from gateway.policy.errors import PolicyError
from gateway.policy.replay import CHANGE_KINDS

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _now() -> datetime:
    return datetime.now(UTC)


async def _blocking(function: Any, *args: Any) -> Any:
    return await anyio.to_thread.run_sync(function, *args)


async def _event(request: Request, seen: Viewer, action: str, detail: dict[str, Any] | None = None) -> None:
    store = console_of(request).auth.store
    await _blocking(lambda: store.add_event(at=_now(), username=seen.username, action=action, detail=detail))


# --- signing in and out ------------------------------------------------------------------


@router.get("/login")
async def login_form(request: Request) -> Response:
    refuse_api_keys(request, as_json=False)
    try:
        await viewer(request, "overview")
        return redirect(PREFIX + "/")
    except (SignInNeeded, Refused):
        pass
    return _login_page(request, next_path=request.query_params.get("next"))


def _login_page(request: Request, *, next_path: object, failed: bool = False, status_code: int | None = None,
                retry_after: object = None) -> Response:
    token = secrets.token_urlsafe(32)
    lang: Lang = "zh" if request.query_params.get("lang") == "zh" else "en"
    status = status_code or (401 if failed else 200)
    response = render(request, "login.html", lang=lang, csrf_token=token, next=safe_next(next_path), failed=failed,
                      too_many=status == 429, status_code=status)
    if status == 429 and isinstance(retry_after, int | float):
        response.headers["retry-after"] = str(max(1, math.ceil(retry_after)))
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path=PREFIX, secure=secure(request),
                        max_age=3600)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    refuse_api_keys(request, as_json=False)
    check_origin(request)
    form = await request.form(max_files=0, max_fields=10)
    expected, given = request.cookies.get(LOGIN_COOKIE), form.get("csrf_token")
    if not expected or not isinstance(given, str) or not secrets.compare_digest(expected, given):
        raise Refused("the sign-in form's CSRF token is missing or wrong; reload the page", as_json=False,
                      code="csrf_failed")
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return _login_page(request, next_path=form.get("next"), failed=True)
    console = console_of(request)
    address = client_address() or "unknown"
    busy = console.sign_in_slots.statistics().tasks_waiting >= SIGN_IN_QUEUE
    try:
        console.sign_in_failures.check(address)
    except RateLimited as error:
        return _login_page(request, next_path=form.get("next"), failed=True, status_code=429,
                           retry_after=error.extra.get("retry_after_s"))
    if busy:
        return _login_page(request, next_path=form.get("next"), failed=True, status_code=429, retry_after=5)
    result = await anyio.to_thread.run_sync(
        lambda: console.auth.sign_in(username.strip().lower(), password, now=_now()), limiter=console.sign_in_slots)
    if result.token is None:
        console.sign_in_failures.failed(address)
        return _login_page(request, next_path=form.get("next"), failed=True)
    response = redirect(safe_next(form.get("next")))
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="strict", path=PREFIX,
                        secure=secure(request))
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    seen = await viewer(request, "overview")
    await posted_form(request, seen)
    auth = console_of(request).auth
    await _blocking(lambda: auth.sign_out(seen.token, username=seen.username, now=_now()))
    response = redirect(PREFIX + "/login")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.post("/lang")
async def switch_language(request: Request) -> Response:
    seen = await viewer(request, "overview")
    form = await posted_form(request, seen)
    lang = form.get("lang")
    if lang not in LANGS:
        return render(request, "error.html", lang=seen.lang, seen=seen, status_code=400,
                      message=text(seen.lang, "bad_request") + ": lang must be en or zh")
    store = console_of(request).auth.store
    await _blocking(lambda: store.set_lang(seen.username, lang))
    await _event(request, seen, "language", {"lang": lang})
    return redirect(safe_next(form.get("next")))


# --- overview ------------------------------------------------------------------------------


@router.get("/")
async def overview_page(request: Request) -> Response:
    seen = await viewer(request, "overview")
    window = request.query_params.get("window", "24h")
    if window not in queries.OVERVIEW_WINDOWS:
        window = "24h"
    state = request.app.state.services
    figures = await _blocking(queries.overview, state, window)
    store = console_of(request).auth.store
    verified = await _blocking(lambda: store.events(limit=1, action="ledger_verified"))
    return render(request, "overview.html", lang=seen.lang, seen=seen, o=figures, window=window,
                  windows=list(queries.OVERVIEW_WINDOWS), verified=verified[0] if verified else None,
                  limit=queries.OVERVIEW_LIMIT)


@router.post("/verify")
async def verify_ledger(request: Request) -> Response:
    seen = await viewer(request, "overview")
    await posted_form(request, seen)
    log = request.app.state.services.decision_log

    def check() -> dict[str, Any]:
        head_seq, head_hash = log.head()
        result = log.verify().as_dict()
        return {"ok": result["ok"], "checked": result["checked"], "first_bad_seq": result["first_bad_seq"],
                "problem": result["problem"], "outcomes_ok": result["outcomes"]["ok"], "head_seq": head_seq,
                "head_hash": head_hash}

    await _event(request, seen, "ledger_verified", await _blocking(check))
    return redirect(PREFIX + "/")


# --- decisions ------------------------------------------------------------------------------


@router.get("/decisions")
async def decisions_page(request: Request) -> Response:
    seen = await viewer(request, "decisions")
    try:
        query = queries.DecisionQuery.parse(list(request.query_params.multi_items()))
    except GatewayError as error:
        return render(request, "decisions.html", lang=seen.lang, seen=seen, status_code=400, error=error.message,
                      query=queries.DecisionQuery(), page=None)
    try:
        page = await _blocking(lambda: queries.decisions(request.app.state.services, query, role=seen.role))
    except GatewayError as error:
        return render(request, "decisions.html", lang=seen.lang, seen=seen, status_code=error.status_code,
                      error=error.message, query=queries.DecisionQuery(), page=None)
    return render(request, "decisions.html", lang=seen.lang, seen=seen, query=query, page=page, error=None)


@router.get("/decisions/{decision_id}")
async def decision_page(request: Request, decision_id: str) -> Response:
    seen = await viewer(request, "decisions")
    found = None
    if DECISION_ID.fullmatch(decision_id):
        found = await _blocking(queries.decision, request.app.state.services, decision_id, seen.lang)
    if found is None:
        return render(request, "error.html", lang=seen.lang, seen=seen, status_code=404,
                      message=text(seen.lang, "not_found"))
    record = found["record"]
    return render(request, "decision.html", lang=seen.lang, seen=seen, record=record, doc=found["explanation"],
                  stored=queries.pretty_record(record))


# --- audits ----------------------------------------------------------------------------------


@router.get("/audits")
async def audits_page(request: Request) -> Response:
    seen = await viewer(request, "audits")
    return await _audits_list(request, seen)


async def _audits_list(request: Request, seen: Viewer, *, error: str | None = None, status_code: int = 200) -> Response:
    audits = request.app.state.services.audits.audits
    listed = await _blocking(lambda: audits.page(limit=50))
    return render(request, "audits.html", lang=seen.lang, seen=seen, audits=listed, error=error,
                  status_code=status_code)


@router.post("/audits")
async def run_audit(request: Request) -> Response:
    seen = await viewer(request, "audits")
    form = await posted_form(request, seen)
    body: dict[str, Any] = {"since": str(form.get("since") or "").strip()}
    attributes = [a.strip() for a in str(form.get("attributes") or "").split(",") if a.strip()]
    if attributes:
        body["attributes"] = attributes
    try:
        stored = await queue_audit(request.app.state.services, parse_audit_request(body),
                                   requested_by=f"console:{seen.username}")
    except GatewayError as error:
        return await _audits_list(request, seen, error=error.message, status_code=error.status_code)
    await _event(request, seen, "audit_requested", {"audit_id": stored.id, "since": body["since"],
                                                     "attributes": attributes})
    return redirect(f"{PREFIX}/audits/{stored.id}")


@router.get("/audits/{audit_id}")
async def audit_page(request: Request, audit_id: str) -> Response:
    seen = await viewer(request, "audits")
    view = await _blocking(queries.audit, request.app.state.services, audit_id) if AUDIT_ID.fullmatch(audit_id) \
        else None
    if view is None:
        return render(request, "error.html", lang=seen.lang, seen=seen, status_code=404,
                      message=text(seen.lang, "not_found"))
    fragment = render_fragment(view.report, view.previous, seen.lang) if view.report is not None else None
    return render(request, "audit.html", lang=seen.lang, seen=seen, v=view, fragment=fragment,
                  report_css=report_css() if fragment else "")


@router.get("/audits/{audit_id}/files/{file_format}")
async def audit_file(request: Request, audit_id: str, file_format: str) -> Response:
    await viewer(request, "audits")
    return await file_response(request.app.state.services, audit_id, file_format)


# --- policies --------------------------------------------------------------------------------


@router.get("/policies")
async def policies_page(request: Request) -> Response:
    seen = await viewer(request, "policies")
    return await _policies(request, seen)


async def _policies(request: Request, seen: Viewer, **values: Any) -> Response:
    console = console_of(request)
    view = await _blocking(queries.policies, request.app.state.services, console.test_reports)
    values.setdefault("status_code", 200)
    return render(request, "policies.html", lang=seen.lang, seen=seen, p=view,
                  candidates=prepared(console.candidates_dir), windows=list(queries.REPLAY_WINDOWS),
                  kinds=CHANGE_KINDS, **values)


@router.get("/policies/file")
async def policy_file_page(request: Request) -> Response:
    seen = await viewer(request, "policies")
    path = request.query_params.get("path", "")
    content = None
    try:
        content = await _blocking(queries.policy_file, request.app.state.services, path)
    except PolicyError:
        pass
    if content is None:
        return render(request, "error.html", lang=seen.lang, seen=seen, status_code=404,
                      message=text(seen.lang, "not_found"))
    return render(request, "policy_file.html", lang=seen.lang, seen=seen, file_path=path, content=content)


@router.post("/policies/replay")
async def replay_policy(request: Request) -> Response:
    seen = await viewer(request, "policies")
    form = await posted_form(request, seen)
    window = str(form.get("window") or "7d")
    if window not in queries.REPLAY_WINDOWS:
        window = "7d"
    upload, chosen = form.get("bundle"), str(form.get("candidate") or "")
    state, console = request.app.state.services, console_of(request)
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            candidate_dir, digest = await _blocking(keep_upload, data, console.uploads_dir)
            label = upload.filename[:100]
        elif chosen:
            candidate_dir, digest = await _blocking(snapshot, prepared_dir(console.candidates_dir, chosen),
                                                    console.uploads_dir)
            label = chosen
        else:
            raise CandidateError("upload a .zip of the policy folder or choose a prepared candidate")
        review = await _blocking(queries.replay_candidate, state, candidate_dir, digest, window)
    except (CandidateError, PolicyError) as error:
        return await _policies(request, seen, replay_error=_without_paths(str(error)), status_code=400)
    report = review.report
    await _event(request, seen, "policy_replayed", {
        "candidate": label, "bundle_hash": review.bundle_hash, "files_hash": review.files_hash, "window": window,
        "total": report.total, "changed": report.changed, "tests_failed": review.tests_failed})
    return await _policies(request, seen, review=review, replayed=report, replay_label=label,
                           replay_window=window)


def _without_paths(message: str) -> str:
    """A load error names files by their place in the bundle, not by where the server keeps them."""
    return re.sub(r"/\S*/govgate-upload-[^/\s]+/|/\S*/policy-candidates/[0-9a-f]{64}/", "", message)[:2000]


@router.post("/policies/activate")
async def activate_policy(request: Request) -> Response:
    """Activate a candidate replayed within the last day: written into the policy folder under
    the reload lock, tested and loaded like any edit, rolled back if it does not load."""
    seen = await viewer(request, "policies")
    form = await posted_form(request, seen)
    digest = str(form.get("files_hash") or "")
    state, console = request.app.state.services, console_of(request)
    previous = state.policy.bundle_hash
    try:
        bundle_hash, why = await _blocking(lambda: queries.activate_candidate(
            state, console.auth.store, console.uploads_dir, digest, username=seen.username))
    except (CandidateError, PolicyError) as error:
        bundle_hash, why = None, _without_paths(str(error))
    if why is not None:
        await _event(request, seen, "policy_activation_failed", {"files_hash": digest[:64], "why": why[:500]})
        return await _policies(request, seen, activate_error=why, status_code=409)
    await _event(request, seen, "policy_activated", {"bundle_hash": bundle_hash, "files_hash": digest,
                                                      "previous": previous})
    return await _policies(request, seen, activated=bundle_hash)


# --- activity ---------------------------------------------------------------------------------


@router.get("/activity")
async def activity_page(request: Request) -> Response:
    seen = await viewer(request, "activity")
    try:
        query = queries.ActivityQuery.parse(list(request.query_params.multi_items()))
    except GatewayError as error:
        return render(request, "error.html", lang=seen.lang, seen=seen, status_code=400,
                      message=f"{text(seen.lang, 'bad_request')}: {error.message}")
    page = await _blocking(queries.activity, console_of(request).auth.store, query)
    return render(request, "activity.html", lang=seen.lang, seen=seen, page=page, query=query)


# --- anything else under /console/ ------------------------------------------------------------


@router.get("/{unknown:path}")
async def not_found(request: Request, unknown: str) -> Response:
    """A console page that does not exist: the console's own 404 page (after the sign-in check)."""
    seen = await viewer(request, "overview")
    return render(request, "error.html", lang=seen.lang, seen=seen, status_code=404,
                  message=text(seen.lang, "not_found"))
