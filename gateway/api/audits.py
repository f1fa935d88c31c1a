"""Bias audits over HTTP: ask for one, follow it, read its report and files.

    POST /v1/audits                       202 {id, status: queued, …}; runs on the worker thread
    GET  /v1/audits                       newest first; keyset pages (before_seq), filters
    GET  /v1/audits/{id}                  metadata and the report (JSON), with its sha256 checked
    GET  /v1/audits/{id}/files/{format}   report.json, .html, .pdf as rendered by audits/output.py

Who: `compliance_officer` and `admin`. Compliance officers own audits (they ask for them and
act on them); `security_admin` reads the decision log for incidents but has no part in bias
audits, and `bot` never does: both get 403. Every refusal is an OpenAI-style error naming the
field and its rule, never echoing the value; the database's faults are 503, never a 500.

An audit never runs on the event loop: POST stores a queued row (in a worker thread) and
wakes this process's runner; the statistics run there (audits/runner.py), one at a time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from audits.errors import AuditUsageError
from audits.request import RULES, AuditRequest
from audits.runner import run_parameters
from audits.window import parse_window
from gateway.api.deps import authenticated, services
from gateway.api.query import strict_query
from gateway.auth import AuthenticatedCaller
from gateway.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, ServiceUnavailable
from gateway.json_body import parse_json_object
from gateway.limits import read_body
from gateway.pii.detector import DetectionFailed
from gateway.policy.errors import PolicyError
from gateway.services import Services
from gateway.store.audits import AuditInfo, AuditsUnavailable, StoredAudit

router = APIRouter(prefix="/v1/audits", tags=["audits"])
AUDIT_ROLES = ("compliance_officer", "admin")
AUDIT_ID = re.compile(r"aud_[0-9a-f]{32}")
FORMATS = ("json", "html", "pdf")
MAX_SEQ = 2**31 - 1  # the audits table's seq is a 32-bit integer
TRIGGER = r"^(manual|cli|schedule:[a-z0-9][a-z0-9_-]{0,63})$"
LIST_PARAMETERS = ("status", "trigger", "limit", "before_seq")
# Groups the records hold without any screening: the missing value and keyed hashes.
UNSCREENED = re.compile(r"unknown|unlisted:[0-9a-f]{1,64}")
# The rendered HTML is served from the gateway's origin: it may style itself, nothing more.
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox"


class AuditNotFound(NotFound):
    default_code = "audit_not_found"


class AuditFileNotFound(NotFound):
    default_code = "audit_file_not_found"


async def _officer(request: Request) -> AuthenticatedCaller:
    return await authenticated(request, *AUDIT_ROLES)


async def _blocking(function: Any, *args: Any) -> Any:
    try:
        return await anyio.to_thread.run_sync(function, *args)
    except AuditsUnavailable:
        raise ServiceUnavailable("the audit store is unavailable; nothing was changed, retry later",
                                 code="audits_unavailable") from None


def _metadata(audit: AuditInfo) -> dict[str, Any]:
    body = {"object": "audit", **audit.model_dump(mode="json", exclude={"files"})}
    base = f"/v1/audits/{audit.id}"
    body["url"] = base
    body["files"] = [{**f.model_dump(mode="json"), "url": f"{base}/files/{f.format}"} for f in audit.files]
    return body


@router.post("", status_code=202, openapi_extra={"requestBody": {"required": True, "content": {
    "application/json": {"schema": AuditRequest.model_json_schema()}}}})
async def request_audit(request: Request) -> JSONResponse:
    caller = await _officer(request)
    raw = await read_body(request)
    if isinstance(raw, PayloadTooLarge):
        raise raw
    asked = parse_audit_request(parse_json_object(raw, unique_keys=True))
    stored = await queue_audit(services(request), asked, requested_by=caller.id)
    return JSONResponse(_metadata(stored), status_code=202, headers={"location": f"/v1/audits/{stored.id}"})


async def queue_audit(state: Services, asked: AuditRequest, *, requested_by: str) -> StoredAudit:
    """Check the window and the parameters, store a queued audit and wake the runner (the API's
    POST and the console's "run now" both come here)."""
    now = datetime.now(UTC)
    try:
        since, until = parse_window(asked.since, asked.until, now=now)
    except AuditUsageError as exc:
        # audits/window.py's messages start with the option they are about.
        raise BadRequest(str(exc), param=str(exc).split(" ", 1)[0]) from None
    if since >= now:
        raise BadRequest("since must lie in the past: there is nothing to audit yet", param="since")
    await _blocking(_screen, state, asked)
    audits = state.audits
    parameters = run_parameters(asked.attributes, asked.reference, audits.config)
    audit_id = await _blocking(lambda: audits.store.create(
        requested_by=requested_by, trigger="manual", since=since, until=until, parameters=parameters, now=now))
    audits.queued(audit_id)
    return await _blocking(audits.audits.get, audit_id)


def parse_audit_request(body: dict[str, Any]) -> AuditRequest:
    try:
        return AuditRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = first["loc"][0] if first["loc"] else None
        if first["type"] == "extra_forbidden" or field not in RULES:
            raise BadRequest(f"unknown field; an audit request takes only: {', '.join(RULES)}",
                             code="unknown_field") from None
        if first["type"] == "missing":
            raise BadRequest(f"{field} is required: {RULES[str(field)]}", param=str(field)) from None
        raise BadRequest(f"{field} must be {RULES[str(field)]}", param=str(field)) from None


def _screen(state: Services, asked: AuditRequest) -> None:
    """Refuse attribute names and groups that look like personal data (they are stored with the
    audit): what the policy lists passes as it is, as X-Customer-Attributes does
    (gateway/identifiers.py); a keyed hash and `unknown` are never personal."""
    try:
        listed = state.policy.engine.vocabulary().attributes
    except PolicyError:
        listed = {}  # unavailable: screen everything
    pairs = [(name, None) for name in asked.attributes or ()]
    for label, group in asked.reference.items():
        keys, values = label.split("×"), group.split(" × ")
        pairs += [(key, None) for key in keys]
        pairs += list(zip(keys, values, strict=False)) if len(keys) == len(values) else [(None, v) for v in values]
    for key, value in pairs:
        text = key if value is None else value
        if text is None or UNSCREENED.fullmatch(text) or (value is None and key in listed) or (
                value is not None and key in listed and value in listed[key]):
            continue
        try:
            found = state.detector.analyze(text)
        except DetectionFailed:
            raise ServiceUnavailable("PII detection failed; the audit was not queued",
                                     code="pii_detection_failed") from None
        if found:
            raise BadRequest("an attribute or group looks like personal data; audits take the categories "
                             "records carry only", code="pii_in_parameters",
                             param="attributes" if value is None and key in (asked.attributes or ()) else "reference")


@router.get("")
async def list_audits(request: Request, _caller: AuthenticatedCaller = Depends(_officer),
                      _query: None = Depends(strict_query(*LIST_PARAMETERS)),
                      status: Literal["queued", "running", "done", "failed"] | None = Query(default=None),
                      trigger: str | None = Query(default=None, pattern=TRIGGER, max_length=80),
                      limit: int = Query(default=50, ge=1, le=200),
                      before_seq: int | None = Query(default=None, ge=1, le=MAX_SEQ)) -> dict[str, Any]:
    audits = services(request).audits.audits
    found = await _blocking(lambda: audits.page(before_seq=before_seq, limit=limit + 1, status=status,
                                                trigger=trigger))
    page = found[:limit]
    return {"object": "list", "data": [_metadata(a) for a in page], "has_more": len(found) > limit,
            "next_before_seq": page[-1].seq if len(found) > limit else None}


async def _audit(state: Services, audit_id: str) -> StoredAudit:
    if not AUDIT_ID.fullmatch(audit_id):
        raise BadRequest("audit id must be 'aud_' and 32 hexadecimal digits", param="audit_id")
    stored = await _blocking(state.audits.audits.get, audit_id)
    if stored is None:
        raise AuditNotFound("no such audit", param="audit_id")
    return stored


@router.get("/{audit_id}")
async def get_audit(request: Request, audit_id: str, _caller: AuthenticatedCaller = Depends(_officer),
                    _query: None = Depends(strict_query())) -> dict[str, Any]:
    """The metadata and the report; `report_verified` says whether the stored report still
    has the sha256 stored with it (false: it was edited since; the files have their own)."""
    stored = await _audit(services(request), audit_id)
    report, verified = None, stored.report_verified
    if stored.report_text is not None:
        try:
            report = json.loads(stored.report_text)
        except ValueError:
            verified = False  # not even JSON any more: edited, and not served
    return {**_metadata(stored), "report_verified": verified, "report": report}


@router.get("/{audit_id}/files/{file_format}")
async def get_audit_file(request: Request, audit_id: str, file_format: str,
                         _caller: AuthenticatedCaller = Depends(_officer),
                         _query: None = Depends(strict_query())) -> Response:
    return await file_response(services(request), audit_id, file_format)


async def file_response(state: Services, audit_id: str, file_format: str) -> Response:
    """One of an audit's files as a download (the API's and the console's)."""
    if file_format not in FORMATS:
        raise BadRequest(f"format must be one of: {', '.join(FORMATS)}", param="format")
    stored = await _audit(state, audit_id)
    if stored.status in ("queued", "running"):
        raise Conflict(f"the audit is {stored.status}; its files exist once it is done", code="audit_not_finished")
    file = await _blocking(state.audits.audits.file, audit_id, file_format)
    if file is None:
        why = "a failed audit has no files" if stored.status == "failed" else f"this audit has no {file_format} file"
        raise AuditFileNotFound(why, param="format")
    headers = {"content-disposition": f'attachment; filename="{file.filename}"', "x-content-type-options": "nosniff",
               "etag": f'"{file.sha256}"', "cache-control": "private, no-cache"}
    if file_format == "html":
        headers["content-security-policy"] = HTML_POLICY
    return Response(file.content, media_type=file.media_type, headers=headers)

