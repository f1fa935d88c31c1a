"""PII detection without a model call: analyze (findings only) and redact (the policy's actions).

Both go through the pipeline like a model call: admission (key, governance headers, rate
limit), the policy (request kind "pii"), a size limit and a decision record.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.api.deps import headers_of, services
from gateway.errors import MethodNotAllowed, PayloadTooLarge
from gateway.limits import read_body

router = APIRouter(prefix="/v1/pii", tags=["pii"])
OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.post("/analyze")
async def analyze(request: Request) -> JSONResponse:
    pipeline = services(request).pipeline
    body = await read_body(request)
    if isinstance(body, PayloadTooLarge):
        await pipeline.refuse("pii", headers_of(request), body)
    result = await pipeline.analyze(headers_of(request), body)
    return JSONResponse(result.json, headers={"x-decision-id": result.decision_id})


@router.post("/redact")
async def redact(request: Request) -> JSONResponse:
    pipeline = services(request).pipeline
    body = await read_body(request)
    if isinstance(body, PayloadTooLarge):
        await pipeline.refuse("pii", headers_of(request), body)
    result = await pipeline.redact(headers_of(request), body)
    return JSONResponse(result.json, headers={"x-decision-id": result.decision_id})


@router.api_route("/analyze", methods=OTHER_METHODS, include_in_schema=False)
@router.api_route("/redact", methods=OTHER_METHODS, include_in_schema=False)
async def other_methods(request: Request) -> JSONResponse:
    await services(request).pipeline.refuse("pii", headers_of(request), MethodNotAllowed("POST"))
