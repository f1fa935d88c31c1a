"""The app factory: wires settings, services, routers and error handling. Importing does nothing."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware

from gateway import __version__
from gateway.api import decisions, health, openai, pii, policies
from gateway.config import Settings
from gateway.errors import GatewayError, describe_fault
from gateway.limits import BodySizeLimit
from gateway.pii.engine import PiiEngine
from gateway.services import open_services
from gateway.upstream.demo import create_demo_upstream

log = logging.getLogger(__name__)

DEMO_UPSTREAM_PATH = "/demo-upstream"


def create_app(settings: Settings | None = None, *, pii_engine: PiiEngine | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings, builtin_demo_url=_builtin_demo_url(settings),
                                 pii_engine=pii_engine) as services:
            app.state.services = services
            yield

    app = FastAPI(
        title="GovGate",
        version=__version__,
        lifespan=lifespan,
        middleware=[Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)],
    )
    for router in (openai.router, pii.router, decisions.router, policies.router, health.router):
        app.include_router(router)
    if settings.demo_upstream_url is None:
        # The built-in demo model answers here; it keeps no copies of what it receives.
        app.mount(DEMO_UPSTREAM_PATH, create_demo_upstream(keep_received=False))
    _install_error_handlers(app)
    return app


def _builtin_demo_url(settings: Settings) -> str:
    if settings.demo_upstream_url:
        return settings.demo_upstream_url
    # The in-process demo upstream answers on the gateway's own port, over real HTTP, so a
    # stream from it is a real stream.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}{DEMO_UPSTREAM_PATH}/v1"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def gateway_error(_request: Request, error: GatewayError) -> JSONResponse:
        headers = {"x-decision-id": error.decision_id} if error.decision_id else None
        return JSONResponse(error.body(), status_code=error.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        body = {"error": {"message": f"invalid request at {where}: {first.get('msg')}",
                          "type": "invalid_request_error", "code": "invalid_request", "param": where}}
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = "invalid_request_error" if error.status_code < 500 else "server_error"
        body = {"error": {"message": str(error.detail), "type": kind, "code": f"http_{error.status_code}",
                          "param": None}}
        return JSONResponse(body, status_code=error.status_code, headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.error("unexpected error: %s", describe_fault(error))
        body = {"error": {"message": "internal error", "type": "server_error", "code": "internal_error",
                          "param": None}}
        return JSONResponse(body, status_code=500)
