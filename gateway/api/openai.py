"""The OpenAI-compatible surface: chat completions (plain and streamed), embeddings, models.

Every answer on these paths is a decision with its id and its record: a body over the size
limit and a method the path does not take are refused through the pipeline too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from gateway.api.deps import headers_of, services
from gateway.errors import MethodNotAllowed, PayloadTooLarge
from gateway.limits import read_body
from gateway.openai_types import ChatRequest, EmbeddingsRequest, inline_schema
from gateway.pipeline import ProxyCall, ProxyKind, ProxyResponse

router = APIRouter(prefix="/v1", tags=["openai"])
OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _declared_body(model: type[BaseModel]) -> dict[str, Any]:
    """The body a route reads itself, declared for the OpenAPI document (and schema-driven fuzzers)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline_schema(model)}}}}


@router.post("/chat/completions", openapi_extra=_declared_body(ChatRequest))
async def chat_completions(request: Request) -> Response:
    return await _proxy(request, "chat")


@router.post("/embeddings", openapi_extra=_declared_body(EmbeddingsRequest))
async def embeddings(request: Request) -> Response:
    return await _proxy(request, "embeddings")


@router.get("/models")
@router.head("/models", include_in_schema=False)
async def models(request: Request) -> Response:
    return _respond(await services(request).pipeline.list_models(headers_of(request)))


@router.api_route("/chat/completions", methods=OTHER_METHODS, include_in_schema=False)
async def chat_other_methods(request: Request) -> Response:
    await services(request).pipeline.refuse("chat", headers_of(request), MethodNotAllowed("POST"))


@router.api_route("/embeddings", methods=OTHER_METHODS, include_in_schema=False)
async def embeddings_other_methods(request: Request) -> Response:
    await services(request).pipeline.refuse("embeddings", headers_of(request), MethodNotAllowed("POST"))


@router.api_route("/models", methods=["POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False)
async def models_other_methods(request: Request) -> Response:
    await services(request).pipeline.refuse("models", headers_of(request), MethodNotAllowed("GET", "HEAD"))


async def _proxy(request: Request, kind: ProxyKind) -> Response:
    body = await read_body(request)
    if isinstance(body, PayloadTooLarge):
        await services(request).pipeline.refuse(kind, headers_of(request), body)
    call = ProxyCall(kind=kind, headers=headers_of(request), raw_body=body)
    return _respond(await services(request).pipeline.proxy(call))


def _respond(result: ProxyResponse) -> Response:
    headers = {"x-decision-id": result.decision_id, **result.headers}
    if result.stream is not None:
        return StreamingResponse(result.stream, media_type="text/event-stream",
                                 headers={**headers, "cache-control": "no-cache"})
    return JSONResponse(result.json, headers=headers)
