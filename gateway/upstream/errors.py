"""Upstream failures, translated from httpx in one place (`translate_errors`).

    UpstreamError
    ├── UpstreamTimeout       no answer in time (connect, read or pool)
    ├── UpstreamUnavailable   could not connect, or the connection broke
    └── UpstreamRejected      the upstream answered with an error status

Timeouts and unavailability let the pipeline fail over to the next permitted deployment;
a rejection with a 5xx status does too, a 4xx does not (another deployment would refuse
the same request).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx


class UpstreamError(Exception):
    retryable: bool = True


class UpstreamTimeout(UpstreamError):
    pass


class UpstreamUnavailable(UpstreamError):
    pass


class UpstreamRejected(UpstreamError):
    def __init__(self, status_code: int, body: dict | None) -> None:
        super().__init__(f"upstream answered {status_code}")
        self.status_code = status_code
        self.body = body
        self.retryable = status_code >= 500 or status_code == 429


@contextmanager
def translate_errors() -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(type(exc).__name__) from exc
    except (httpx.TransportError, httpx.StreamError) as exc:
        raise UpstreamUnavailable(type(exc).__name__) from exc
