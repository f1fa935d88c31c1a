"""The built-in demo upstream: an OpenAI-compatible model that shows what left the gateway.

- chat: answers with exactly the last user message it received; streamed in chunks of
  1-4 characters (deterministic per message), so a user sees what the model saw.
- embeddings: deterministic unit vectors derived from the text's sha256.
- faults for tests and benchmarks, chosen by the upstream model name a deployment uses:
  `demo-error-<status>` answers that status, `demo-slow-<ms>` waits before answering.
- `GET /_demo/received` returns the last request bodies it received (bounded), so tests
  can check what the gateway sent out.

It runs inside the gateway (mounted under /demo-upstream, only in development, only when a
deployment uses `builtin:demo`, and answering only requests that carry the gateway's own
secret in `X-GovGate-Demo-Secret`) or alone, for tests and benchmarks: `govgate demo-upstream`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
from collections import deque
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.upstream.sse import DONE, encode_event

EMBEDDING_DIMENSIONS = 64
RECEIVED_KEPT = 200
DEMO_MODELS = ("demo-chat", "demo-embed")
SECRET_HEADER = "x-govgate-demo-secret"


class RequireSecret:
    """Answers 404 to any request without the secret: to anyone else the path does not exist."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        if not secret:
            raise ValueError("the demo upstream's secret must not be empty")
        self.app = app
        self._secret = secret.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            sent = [value for name, value in scope["headers"] if name == SECRET_HEADER.encode()]
            if len(sent) != 1 or not hmac.compare_digest(sent[0], self._secret):
                response = JSONResponse({"error": {"message": "not found", "type": "invalid_request_error",
                                                   "code": "http_404", "param": None}}, status_code=404)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_demo_upstream(*, keep_received: bool = True, secret: str | None = None) -> FastAPI:
    """The demo model. `keep_received=False` (as mounted inside the gateway) keeps no bodies;
    with `secret`, only requests carrying it in `X-GovGate-Demo-Secret` are answered."""
    app = FastAPI(title="GovGate demo upstream", docs_url=None, redoc_url=None, openapi_url=None)
    if secret is not None:
        app.add_middleware(RequireSecret, secret=secret)
    received: deque[dict[str, Any]] = deque(maxlen=RECEIVED_KEPT if keep_received else 0)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [_model(name) for name in DEMO_MODELS]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):  # type: ignore[no-untyped-def]
        body = await request.json()
        received.append(body)
        fault = await _fault(body.get("model", ""))
        if fault is not None:
            return fault
        answer = _last_user_text(body.get("messages", []))
        model = body.get("model", "demo-chat")
        completion_id = "chatcmpl-" + hashlib.sha256(answer.encode()).hexdigest()[:24]
        usage = {"prompt_tokens": _tokens(body.get("messages", [])), "completion_tokens": max(1, len(answer) // 4)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                _stream(completion_id, model, answer, usage if include_usage else None),
                media_type="text/event-stream",
            )
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": usage,
        }

    @app.post("/v1/embeddings")
    async def embeddings(request: Request):  # type: ignore[no-untyped-def]
        body = await request.json()
        received.append(body)
        fault = await _fault(body.get("model", ""))
        if fault is not None:
            return fault
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else [str(item) for item in inputs]
        data = [{"object": "embedding", "index": i, "embedding": _vector(text)} for i, text in enumerate(texts)]
        tokens = sum(max(1, len(text) // 4) for text in texts)
        return {"object": "list", "data": data, "model": body.get("model", "demo-embed"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    if keep_received:

        @app.get("/_demo/received")
        async def received_bodies() -> list[dict[str, Any]]:
            return list(received)

        @app.delete("/_demo/received")
        async def clear_received() -> dict[str, bool]:
            received.clear()
            return {"cleared": True}

    return app


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "govgate-demo"}


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _tokens(messages: list[dict[str, Any]]) -> int:
    return max(1, sum(len(str(m.get("content", ""))) for m in messages) // 4)


MAX_DEMO_DELAY_MS = 60_000


async def _fault(model: str) -> JSONResponse | None:
    kind, _, number = model.rpartition("-")
    if not number.isdigit():
        return None
    if kind == "demo-slow":
        await asyncio.sleep(min(int(number), MAX_DEMO_DELAY_MS) / 1000)
    if kind == "demo-error" and 400 <= int(number) <= 599:
        return JSONResponse({"error": {"message": "demo fault", "type": "server_error", "code": None}}, int(number))
    return None


async def _stream(completion_id: str, model: str, answer: str, usage: dict[str, int] | None):  # type: ignore[no-untyped-def]
    created = int(time.time())
    rng = random.Random(completion_id)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return encode_event({
            "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        })

    yield chunk({"role": "assistant", "content": ""})
    position = 0
    while position < len(answer):
        size = rng.randint(1, 4)
        yield chunk({"content": answer[position:position + size]})
        position += size
        await asyncio.sleep(0)
    yield chunk({}, "stop")
    if usage is not None:
        yield encode_event({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                            "model": model, "choices": [], "usage": usage})
    yield encode_event(DONE)


def _vector(text: str) -> list[float]:
    seed = hashlib.sha256(text.encode()).digest()
    rng = random.Random(seed)
    values = [rng.uniform(-1.0, 1.0) for _ in range(EMBEDDING_DIMENSIONS)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [round(v / norm, 6) for v in values]
