"""The app factory: wires settings, services, routers and error handling. Importing does nothing."""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware

from gateway import __version__
from gateway.api import audits, decisions, health, openai, outcomes, pii, policies
from gateway.config import Settings
from gateway.console import api as console_api
from gateway.console import pages as console_pages
from gateway.console.web import STATIC, install_handlers
from gateway.errors import GatewayError, describe_fault
from gateway.limits import RequestEdge
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
            if services.builtin_demo_secret is not None:
                # The built-in demo model answers here, before the first request, only to
                # this gateway's upstream client; it keeps no copies of what it receives.
                app.mount(DEMO_UPSTREAM_PATH,
                          create_demo_upstream(keep_received=False, secret=services.builtin_demo_secret))
            yield

    docs = settings.serves_docs
    app = FastAPI(
        title="GovGate",
        version=__version__,
        lifespan=lifespan,
        middleware=[Middleware(RequestEdge, max_bytes=settings.max_body_bytes)],
        # Off by default in production (GOVGATE_DOCS_ENABLED overrides): the schema maps the
        # whole surface for anyone who asks.
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    for router in (openai.router, pii.router, decisions.router, outcomes.router, audits.router, policies.router,
                   health.router):
        app.include_router(router)
    if settings.console_enabled:
        # The pages last: their catch-all 404 page would otherwise answer for the JSON and the CSS.
        app.include_router(console_api.router)
        app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
        app.include_router(console_pages.router)
        install_handlers(app)
    _install_error_handlers(app)
    return app


def _builtin_demo_url(settings: Settings) -> str | None:
    """Where the in-process demo upstream would answer; None where it may never be served."""
    if settings.environment == "production" or settings.demo_upstream_url:
        return None
    # The in-process demo upstream answers on the gateway's own port, over real HTTP, so a
    # stream from it is a real stream.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}{DEMO_UPSTREAM_PATH}/v1"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def gateway_error(_request: Request, error: GatewayError) -> JSONResponse:
        headers = dict(getattr(error, "headers", None) or {})
        if error.decision_id:
            headers["x-decision-id"] = error.decision_id
        retry_after = error.extra.get("retry_after_s")
        if isinstance(retry_after, int | float):
            headers["retry-after"] = str(max(1, math.ceil(retry_after)))
        return JSONResponse(error.body(), status_code=error.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        # Only declared parameters (query, path) get here; the message says which one and
        # pydantic's reason (which states the rule, never the value), the value is not echoed.
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body", "header")]
        where = ".".join(loc) or None
        body = {"error": {"message": f"invalid value for {where or 'the request'}: {first.get('msg')}",
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
