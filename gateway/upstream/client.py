"""One HTTP client for every upstream deployment, opened and closed with the app."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.policy.documents import Route
from gateway.upstream.demo import SECRET_HEADER
from gateway.upstream.errors import UpstreamRejected, translate_errors

BUILTIN_DEMO = "builtin:demo"


@dataclass(frozen=True)
class UpstreamAnswer:
    """A whole (not streamed) answer, and when it came (`time.perf_counter()` clocks)."""

    body: dict[str, Any]
    first_byte_at: float  # the status line and headers had arrived
    last_byte_at: float  # the whole body had arrived (before it was parsed)


class UpstreamClient:
    """Sends OpenAI-shaped requests to the deployment a route names.

    `transport` is the seam for tests (httpx.MockTransport); `builtin_demo_url` is where the
    demo upstream answers (routes whose base_url is `builtin:demo`), and `builtin_demo_secret`
    the secret the in-process one requires (sent to it only). `api_keys` maps a route's
    `api_key_env` to the key sent as a bearer token (resolved once, from settings); a route
    whose variable is not in it, or names none, is sent no authorization header.
    """

    def __init__(self, *, timeout: httpx.Timeout, builtin_demo_url: str | None = None,
                 builtin_demo_secret: str | None = None, api_keys: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._builtin_demo_url = builtin_demo_url
        self._builtin_demo_secret = builtin_demo_secret
        self._api_keys = dict(api_keys or {})
        # A route's own timeout never waits longer to connect than the client's default does.
        self._connect_timeout_s = timeout.connect
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        self._client = httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _url(self, route: Route, path: str) -> str:
        base = route.base_url
        if base == BUILTIN_DEMO:
            if self._builtin_demo_url is None:
                raise httpx.ConnectError("the built-in demo upstream is not running")
            base = self._builtin_demo_url
        return base.rstrip("/") + path

    def _headers(self, route: Route) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if route.base_url == BUILTIN_DEMO and self._builtin_demo_secret:
            headers[SECRET_HEADER] = self._builtin_demo_secret
        if route.api_key_env:
            key = self._api_keys.get(route.api_key_env)
            if key:
                headers["authorization"] = f"Bearer {key}"
        return headers

    def _timeout(self, route: Route) -> Any:  # httpx.Timeout, or httpx.USE_CLIENT_DEFAULT
        if route.timeout_s is None:
            return httpx.USE_CLIENT_DEFAULT
        connect = route.timeout_s if self._connect_timeout_s is None else min(route.timeout_s, self._connect_timeout_s)
        return httpx.Timeout(route.timeout_s, connect=connect)

    def _request(self, route: Route, path: str, body: dict[str, Any]) -> httpx.Request:
        return self._client.build_request(
            "POST", self._url(route, path), json=body, headers=self._headers(route), timeout=self._timeout(route)
        )

    async def post_json(self, route: Route, path: str, body: dict[str, Any]) -> UpstreamAnswer:
        """Send a POST and read its JSON answer. Sent as a stream and then read whole (what
        `post()` does inside), so the record can tell the upstream's first byte from its last."""
        with translate_errors():  # the URL too: an unreachable built-in demo is a ConnectError
            response = await self._client.send(self._request(route, path, body), stream=True)
            first_byte_at = time.perf_counter()
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        last_byte_at = time.perf_counter()
        if response.status_code >= 400:
            raise UpstreamRejected(response.status_code, _json_or_none(content))
        try:
            answer = json.loads(content, parse_constant=_refuse_constant)
        except ValueError as exc:  # not JSON, not UTF-8, or NaN/Infinity
            raise UpstreamRejected(502, None) from exc
        if not isinstance(answer, dict):
            raise UpstreamRejected(502, None)
        return UpstreamAnswer(answer, first_byte_at=first_byte_at, last_byte_at=last_byte_at)

    async def open_stream(self, route: Route, path: str, body: dict[str, Any]) -> UpstreamStream:
        """Send a streaming POST; the stream once its status is known good (else UpstreamRejected)."""
        with translate_errors():
            response = await self._client.send(self._request(route, path, body), stream=True)
        opened_at = time.perf_counter()
        if response.status_code >= 400:
            try:
                with translate_errors():
                    content = await response.aread()
            finally:
                await response.aclose()
            raise UpstreamRejected(response.status_code, _json_or_none(content))
        return UpstreamStream(response, opened_at=opened_at)


class UpstreamStream:
    """One open streamed answer, and its one owner: whoever holds it closes it (`aclose()`,
    or `async with`), however the relay ends. `opened_at`: when its headers had arrived."""

    def __init__(self, response: httpx.Response, *, opened_at: float) -> None:
        self._response = response
        self.opened_at = opened_at

    async def events(self) -> AsyncIterator[bytes]:
        """The raw bytes as they arrive; transport failures as UpstreamError."""
        with translate_errors():
            async for chunk in self._response.aiter_raw():
                yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()

    async def __aenter__(self) -> UpstreamStream:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _json_or_none(content: bytes) -> dict | None:
    try:
        value = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
