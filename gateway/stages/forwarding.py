"""Forwarding: the permitted deployments in the policy's order until one answers.

A `Failover` is one request's way through its routes; it keeps every attempt, the route that
answered, and when its first byte came, for the record. A refusal another deployment would
repeat (a 4xx) ends the failover.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gateway.decision import RouteAttempt
from gateway.errors import GatewayError, UpstreamFailed, UpstreamTimedOut
from gateway.policy.documents import Route
from gateway.upstream.errors import UpstreamError, UpstreamRejected, UpstreamTimeout, outcome_of

_Answer = TypeVar("_Answer")


class Failover:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self.attempts: list[RouteAttempt] = []
        self.answered: Route | None = None
        self.upstream_ms = 0.0  # every attempt's time, summed
        self.first_byte_ms: float | None = None  # of the attempt that answered

    async def first_answering(self, call: Callable[[Route], Awaitable[_Answer]]) -> tuple[Route, float, _Answer]:
        """The route that answered, when its attempt started, and its answer; else the
        caller's error for the last failure (every failed attempt is kept)."""
        last_error: UpstreamError | None = None
        for route in self.routes:
            start = time.perf_counter()
            try:
                return route, start, await call(route)
            except UpstreamError as exc:
                self.ended(route, start, outcome_of(exc))
                last_error = exc
                if not exc.retryable:
                    break
        raise upstream_failure(last_error)

    def ended(self, route: Route, start: float, outcome: str) -> None:
        """One attempt is over; an answer that came whole (not streamed) came at its end."""
        duration = self._attempt(route, start, outcome)
        if outcome == "ok":
            self.first_byte_ms = duration

    def stream_ended(self, route: Route, start: float, outcome: str, *, first_event_at: float | None) -> None:
        """A streamed attempt is over; its first byte came with its first event, if any did."""
        self._attempt(route, start, outcome)
        if first_event_at is not None:
            self.first_byte_ms = round((first_event_at - start) * 1000, 3)

    def _attempt(self, route: Route, start: float, outcome: str) -> float:
        duration = round((time.perf_counter() - start) * 1000, 3)
        self.upstream_ms += duration
        self.attempts.append(RouteAttempt(deployment=route.deployment, region=route.region, outcome=outcome,
                                          duration_ms=duration))
        if outcome == "ok":
            self.answered = route
        return duration


def upstream_failure(error: UpstreamError | None) -> GatewayError:
    if isinstance(error, UpstreamTimeout):
        return UpstreamTimedOut("no permitted deployment answered in time")
    if isinstance(error, UpstreamRejected) and error.status_code < 500 and error.status_code != 429:
        failure = UpstreamFailed(f"the upstream refused the request ({error.status_code})", code="upstream_rejected")
        failure.extra = {"upstream_status": error.status_code}
        return failure
    return UpstreamFailed("no permitted deployment could answer", code="upstream_unavailable")


def route_headers(route: Route | None) -> dict[str, str]:
    return {"x-govgate-deployment": route.deployment if route else "", "x-govgate-region": route.region if route else ""}
