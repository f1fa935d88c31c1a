"""PII detection without a model call: analyze (findings only) and redact (the policy's actions).

Both go through the pipeline like a model call: admission (key, governance headers, rate
limit), the policy (request kind "pii"), a size limit and a decision record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.api.deps import headers_of, services
from gateway.errors import MethodNotAllowed, PayloadTooLarge
from gateway.headers import RequestHeaders
from gateway.limits import read_body
from gateway.pipeline import ProxyResponse

router = APIRouter(prefix="/v1/pii", tags=["pii"])
OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.post("/analyze")
async def analyze(request: Request) -> JSONResponse:
    return await _pii_call(request, services(request).pipeline.analyze)


@router.post("/redact")
async def redact(request: Request) -> JSONResponse:
    return await _pii_call(request, services(request).pipeline.redact)


async def _pii_call(request: Request, run: Callable[[RequestHeaders, bytes], Awaitable[ProxyResponse]]) -> JSONResponse:
    """Read the body within the size limit (an oversize one is a recorded refusal), then run the stage."""
    body = await read_body(request)
    if isinstance(body, PayloadTooLarge):
        await services(request).pipeline.refuse("pii", headers_of(request), body)
    result = await run(headers_of(request), body)
    return JSONResponse(result.json, headers={"x-decision-id": result.decision_id})


@router.api_route("/analyze", methods=OTHER_METHODS, include_in_schema=False)
@router.api_route("/redact", methods=OTHER_METHODS, include_in_schema=False)
async def other_methods(request: Request) -> JSONResponse:
    await services(request).pipeline.refuse("pii", headers_of(request), MethodNotAllowed("POST"))
