"""The OpenAI-compatible surface: chat completions (plain and streamed), embeddings, models."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from gateway.api.deps import headers_of, services
from gateway.openai_types import ChatRequest, EmbeddingsRequest
from gateway.pipeline import ProxyCall, ProxyResponse

router = APIRouter(prefix="/v1", tags=["openai"])


def _request_body(model: type[BaseModel]) -> dict[str, Any]:
    """The body a route reads itself (from the raw bytes, within bounds), declared for
    clients and schema-driven fuzzers: the pydantic model's JSON Schema, inlined."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            # A discriminator's mapping names the $defs just inlined; oneOf says the same.
            return {k: inline(v) for k, v in node.items() if k != "discriminator"}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


@router.post("/chat/completions", openapi_extra=_request_body(ChatRequest))
async def chat_completions(request: Request) -> Response:
    call = ProxyCall(kind="chat", headers=headers_of(request), raw_body=await request.body())
    return _respond(await services(request).pipeline.proxy(call))


@router.post("/embeddings", openapi_extra=_request_body(EmbeddingsRequest))
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
