"""A misbehaving OpenAI-compatible upstream: the test scripts what it answers.

`answer` is the next non-streamed chat completion, `events` the next stream (each item a JSON
object, or raw bytes sent as they are), `embeddings` the next embeddings answer. With
`body_delay_s`, a non-streamed answer's headers go at once and its body that much later (a
model that starts answering, then takes its time). With `hold`, a stream sends its events and
then waits for that event before its `[DONE]` (a stream a test keeps open). With `status`, every chat call is refused
with that status and an OpenAI-style error. Every body it receives is kept in
`received`, so a test can check what left the gateway.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from gateway.upstream.sse import encode_event
from tests.conftest import Gateway, ServerThread, start_gateway
from tests.net import free_port

PLAIN_ANSWER = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK."}, "finish_reason": "stop"}]}


@dataclass
class HostileUpstream:
    answer: dict[str, Any] | bytes = field(default_factory=lambda: PLAIN_ANSWER)
    events: list[Any] = field(default_factory=list)
    embeddings: dict[str, Any] | None = None
    body_delay_s: float = 0.0
    status: int = 200
    hold: threading.Event | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request):  # type: ignore[no-untyped-def]
            body = await request.json()
            self.received.append(body)
            if self.status != 200:
                return JSONResponse({"error": {"message": "upstream fault", "type": "server_error", "code": None}},
                                    self.status)
            if body.get("stream"):
                return StreamingResponse(self._stream(), media_type="text/event-stream")
            content = self.answer if isinstance(self.answer, bytes) else json.dumps(self.answer).encode()
            if self.body_delay_s:
                # StreamingResponse sends the status and headers before it asks for the body.
                return StreamingResponse(self._late(content), media_type="application/json")
            if isinstance(self.answer, bytes):
                return Response(self.answer, media_type="application/json")
            return JSONResponse(self.answer)

        @app.post("/v1/embeddings")
        async def embeddings(request: Request):  # type: ignore[no-untyped-def]
            body = await request.json()
            self.received.append(body)
            return JSONResponse(self.embeddings)

        return app

    async def _late(self, content: bytes) -> AsyncIterator[bytes]:
        await asyncio.sleep(self.body_delay_s)
        yield content

    async def _stream(self):  # type: ignore[no-untyped-def]
        for event in self.events:
            yield event if isinstance(event, bytes) else encode_event(event)
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 60)
        yield b"data: [DONE]\n\n"

    def sent(self) -> str:
        """Everything the upstream received, as one JSON text."""
        return json.dumps(self.received, ensure_ascii=False)


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def hostile_gateway(tmp_path: Path, pii_engine, **overrides) -> Iterator[tuple[Gateway, HostileUpstream]]:  # type: ignore[no-untyped-def]
    """A gateway whose demo deployments go to a hostile upstream (`overrides`: start_gateway's)."""
    upstream = HostileUpstream()
    server = ServerThread(upstream.app(), free_port())
    server.start()
    gateway, gateway_server = start_gateway(tmp_path, pii_engine=pii_engine,
                                            upstream_url=f"http://127.0.0.1:{server.port}/v1", **overrides)
    try:
        yield gateway, upstream
    finally:
        gateway_server.stop()
        server.stop()
