"""The OpenAI-compatible surface: chat completions (plain and streamed), embeddings, models."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from gateway.api.deps import headers_of, services
from gateway.pipeline import ProxyCall, ProxyResponse

router = APIRouter(prefix="/v1", tags=["openai"])


@router.post("/chat/completions")
async def chat_completions(request: Request) -> Response:
    call = ProxyCall(kind="chat", headers=headers_of(request), raw_body=await request.body())
    return _respond(await services(request).pipeline.proxy(call))


@router.post("/embeddings")
async def embeddings(request: Request) -> Response:
    call = ProxyCall(kind="embeddings", headers=headers_of(request), raw_body=await request.body())
    return _respond(await services(request).pipeline.proxy(call))


@router.get("/models")
async def models(request: Request) -> Response:
    return _respond(await services(request).pipeline.list_models(headers_of(request)))


def _respond(result: ProxyResponse) -> Response:
    headers = {"x-decision-id": result.decision_id, **result.headers}
    if result.stream is not None:
        return StreamingResponse(result.stream, media_type="text/event-stream",
                                 headers={**headers, "cache-control": "no-cache"})
    return JSONResponse(result.json, headers=headers)
