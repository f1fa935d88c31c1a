"""The request edge: who is calling (the peer address) and how large a body may be.

`RequestEdge` is the one ASGI middleware in front of the app. It keeps the peer address in
a context variable for the request's lifetime (the pre-authentication limit keys on it),
and it never lets more than `max_bytes` of a body through: a body declared larger, or one
that grows larger while streamed in (chunked, no content-length), makes the app's next
`receive()` raise `PayloadTooLarge`. The middleware itself never answers: the route catches
the error and hands it to the pipeline, which records the refusal and answers 413 with its
decision id (see `read_body`).
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import PayloadTooLarge

_MAX_LENGTH_DIGITS = 18  # longer is over any limit (and int() refuses over 4300 digits)
_CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("govgate_client_address", default=None)


def client_address() -> str | None:
    """The peer address of the request being served (as uvicorn saw it; see docs/operations.md)."""
    return _CLIENT_ADDRESS.get()


class RequestEdge:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = _CLIENT_ADDRESS.set(client[0] if client else None)
        try:
            await self.app(scope, self._limited(scope, receive), send)
        finally:
            _CLIENT_ADDRESS.reset(token)

    def _limited(self, scope: Scope, receive: Receive) -> Receive:
        declared = _declared_length(scope)
        too_large = declared is not None and declared > self.max_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if too_large:  # refused unread: the client is told before it sends megabytes
                raise PayloadTooLarge(_message(self.max_bytes))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(_message(self.max_bytes))
            return message

        return limited_receive


async def read_body(request: Request) -> bytes | PayloadTooLarge:
    """The whole body, or the refusal to hand to the pipeline (which records it)."""
    try:
        return await request.body()
    except PayloadTooLarge as refusal:
        return refusal


def _declared_length(scope: Scope) -> int | None:
    values = [value for name, value in scope["headers"] if name == b"content-length"]
    if not values:
        return None
    # Several or malformed lengths: the server (h11) refuses those before the app runs;
    # counting what arrives is the backstop either way.
    if len(values) != 1 or not values[0].isdigit():
        return None
    return int(values[0]) if len(values[0]) <= _MAX_LENGTH_DIGITS else 10**_MAX_LENGTH_DIGITS


def _message(max_bytes: int) -> str:
    return f"the request body is larger than the limit of {max_bytes} bytes"
