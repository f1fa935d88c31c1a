"""Forwarding: the permitted deployments in the policy's order until one answers.

A `Failover` is one request's way through its routes; it keeps every attempt (how it ended,
how long the gateway waited on it), the route that answered, and when that route's first
byte came, for the record. A refusal another deployment would repeat (a 4xx) ends the failover.

Only waiting counts as upstream time: a whole answer's attempt ends when its last byte
arrived (parsing and scanning it come after); a stream's is the time spent opening it and
waiting for its bytes, without the gateway's work on them in between (gateway.stages.relay).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gateway.decision import AttemptOutcome, RouteAttempt
from gateway.errors import GatewayError, UpstreamFailed, UpstreamTimedOut
from gateway.policy.documents import Route
from gateway.upstream.errors import UpstreamError, UpstreamRejected, UpstreamTimeout

_Answer = TypeVar("_Answer")


class Failover:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self.attempts: list[RouteAttempt] = []
        self.answered: Route | None = None
        self.upstream_ms = 0.0  # every attempt's time, summed
        self.first_byte_ms: float | None = None  # of the attempt that answered, from its start

    async def first_answering(self, call: Callable[[Route], Awaitable[_Answer]]) -> tuple[Route, float, _Answer]:
        """The route that answered, when its attempt started, and its answer; else the
        caller's error for the last failure (every failed attempt is kept)."""
        last_error: UpstreamError | None = None
        for route in self.routes:
            start = time.perf_counter()
            try:
                return route, start, await call(route)
            except UpstreamError as exc:
                self._attempt(route, _ms(time.perf_counter() - start), *attempt_outcome(exc))
                last_error = exc
                if not exc.retryable:
                    break
        raise upstream_failure(last_error)

    def answered_whole(self, route: Route, start: float, *, first_byte_at: float, last_byte_at: float) -> None:
        """A whole answer came: the attempt lasted until its last byte."""
        self._attempt(route, _ms(last_byte_at - start), "ok")
        self.first_byte_ms = _ms(first_byte_at - start)

    def stream_ended(self, route: Route, start: float, outcome: AttemptOutcome, status: int | None = None, *,
                     opened_at: float, read_wait_s: float, first_event_wait_s: float | None) -> None:
        """A streamed attempt is over. `opened_at`: its headers came; `read_wait_s`: the time
        then spent waiting for its bytes; `first_event_wait_s`: of which before its first
        event (None: no event came)."""
        opening = opened_at - start
        self._attempt(route, _ms(opening + read_wait_s), outcome, status)
        if first_event_wait_s is not None:
            self.first_byte_ms = _ms(opening + first_event_wait_s)

    def opened(self, route: Route, start: float, *, opened_at: float) -> Failover:
        """The attempts as they stand when a stream opens (what its journalled record says,
        should it never end): the answering one lasted until its headers came."""
        snapshot = Failover(self.routes)
        snapshot.attempts, snapshot.upstream_ms = list(self.attempts), self.upstream_ms
        snapshot._attempt(route, _ms(opened_at - start), "ok")
        return snapshot

    def _attempt(self, route: Route, duration_ms: float, outcome: AttemptOutcome, status: int | None = None) -> None:
        self.upstream_ms += duration_ms
        self.attempts.append(RouteAttempt(deployment=route.deployment, region=route.region, outcome=outcome,
                                          status=status, duration_ms=duration_ms))
        if outcome == "ok":
            self.answered = route


def attempt_outcome(error: UpstreamError) -> tuple[AttemptOutcome, int | None]:
    """How an attempt ended, and the upstream's status when it answered with an error."""
    if isinstance(error, UpstreamTimeout):
        return "timeout", None
    if isinstance(error, UpstreamRejected):
        return "rejected", error.status_code
    return "unavailable", None


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


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
