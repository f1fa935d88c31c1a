"""PII detection without a model call: analyze (findings only) and redact (the policy's actions)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.api.deps import authenticated, headers_of, services
from gateway.openai_types import AnalyzeRequest, parse_json_object, parse_model

router = APIRouter(prefix="/v1/pii", tags=["pii"])
PII_ROLES = ("bot", "compliance_officer", "security_admin", "admin")


@router.post("/analyze")
async def analyze(request: Request) -> dict[str, Any]:
    authenticated(request, *PII_ROLES)
    body = parse_model(AnalyzeRequest, parse_json_object(await request.body()))
    engine = services(request).pii_engine
    findings = await anyio.to_thread.run_sync(lambda: engine.analyze(body.text, language=body.language))
    return {"findings": [finding.model_dump(mode="json") for finding in findings]}


@router.post("/redact")
async def redact(request: Request) -> JSONResponse:
    result = await services(request).pipeline.redact(headers_of(request), await request.body())
    return JSONResponse(result.json, headers={"x-decision-id": result.decision_id})
