"""Dependencies the routers share: the services wired by the app factory, the caller, the body."""

from __future__ import annotations

from fastapi import Request

from gateway.auth import AuthenticatedCaller
from gateway.services import Services


def services(request: Request) -> Services:
    return request.app.state.services


def headers_of(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


async def authenticated(request: Request, *roles: str) -> AuthenticatedCaller:
    caller = await services(request).authenticator.authenticate(request.headers.get("authorization"))
    if roles:
        caller.require(*roles)
    return caller
