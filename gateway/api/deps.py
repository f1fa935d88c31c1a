"""Dependencies the routers share: the services wired by the app factory, the caller, the body."""

from __future__ import annotations

from fastapi import Request

from gateway.auth import AuthenticatedCaller
from gateway.headers import RequestHeaders
from gateway.services import Services


def services(request: Request) -> Services:
    return request.app.state.services


def headers_of(request: Request) -> RequestHeaders:
    """Every header as sent: a name given twice cannot be read (see gateway.headers)."""
    return RequestHeaders(request.headers.items())


async def authenticated(request: Request, *roles: str) -> AuthenticatedCaller:
    caller = await services(request).authenticator.authenticate(headers_of(request).get("authorization"))
    if roles:
        caller.require(*roles)
    return caller
