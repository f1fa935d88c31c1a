"""A real webhook receiver for the tests: an HTTP server on loopback (uvicorn in a thread) that
keeps what it received and answers with the statuses it is told to, in order (then 200)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import ServerThread
from tests.net import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout_s: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver got {len(self.received)} requests, not {count}")
            time.sleep(0.02)


@contextmanager
def receiver(answers: list[int] | None = None) -> Iterator[Receiver]:
    port = free_port()
    found = Receiver(url=f"http://127.0.0.1:{port}/hooks/govgate", answers=list(answers or []))

    async def hook(request: Request) -> Response:
        body = await request.body()
        with found.lock:
            found.received.append(Received(dict(request.headers), body, time.time()))
            status = found.answers.pop(0) if found.answers else 200
        return Response(b"received" if status < 300 else b"try again", status_code=status)

    server = ServerThread(Starlette(routes=[Route("/hooks/govgate", hook, methods=["POST"])]), port)
    server.start()
    try:
        yield found
    finally:
        server.stop()
