"""PII detection without a model call: analyze (findings only) and redact (the policy's actions)."""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.api.deps import authenticated, headers_of, services
from gateway.errors import PayloadTooLarge, ServiceUnavailable, describe_fault
from gateway.openai_types import AnalyzeRequest, parse_json_object, parse_model
from gateway.pii.errors import PiiInputError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/pii", tags=["pii"])
PII_ROLES = ("bot", "compliance_officer", "security_admin", "admin")


@router.post("/analyze")
async def analyze(request: Request) -> dict[str, Any]:
    authenticated(request, *PII_ROLES)
    body = parse_model(AnalyzeRequest, parse_json_object(await request.body()))
    engine = services(request).pii_engine
    try:
        findings = await anyio.to_thread.run_sync(lambda: engine.analyze(body.text, language=body.language))
    except PiiInputError as exc:
        raise PayloadTooLarge(str(exc), code="text_too_long") from None
    except Exception as exc:  # noqa: BLE001 — a detector fault is the service's, never a 500 with a trace
        log.error("PII analysis failed: %s", describe_fault(exc))
        raise ServiceUnavailable("PII detection failed", code="pii_detection_failed") from None
    return {"findings": [finding.model_dump(mode="json") for finding in findings]}


@router.post("/redact")
async def redact(request: Request) -> JSONResponse:
    result = await services(request).pipeline.redact(headers_of(request), await request.body())
    return JSONResponse(result.json, headers={"x-decision-id": result.decision_id})
