"""A loopback OPA look-alike: the REST Data API subset, backed by the real OPA engine.

For end-to-end tests of ``RemoteOpaPolicyEngine`` without an ``opa`` binary::

    POST /v1/data/{path}   {"input": ...}  ->  {"result": ...}, or {} when undefined
    GET  /v1/data/{path}                   ->  the same, without input
    GET  /health                           ->  {}

Errors answer like OPA: HTTP 500 with ``{"code": "internal_error", "message": ...}``;
a body that is not JSON, 400 with ``invalid_parameter``. Run it with
``create_opa_app(PolicyBundle.load("policies"))`` under uvicorn, bound to 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from opa_bindings.engine import OpaEngine, OpaError, OpaUndefinedError

from gateway.policy.bundle import PolicyBundle


def create_opa_app(bundle: PolicyBundle) -> FastAPI:
    """An app serving ``bundle``'s policies and data (tests are not loaded)."""
    opa = OpaEngine()
    for module in bundle.modules:
        opa.add_policy(module.path, module.source)
    opa.add_data(bundle.data_document)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            opa.close()

    app = FastAPI(title="govgate-opa-shim", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.opa = opa
    app.state.bundle_hash = bundle.bundle_hash

    def evaluate(path: str, input_doc: Any) -> JSONResponse:
        dotted = path.strip("/").replace("/", ".")
        try:
            value = opa.eval_document(dotted, input_doc)
        except OpaUndefinedError:
            return JSONResponse({})
        except OpaError as exc:
            return JSONResponse({"code": "internal_error", "message": str(exc)}, status_code=500)
        return JSONResponse({"result": value})

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {}

    @app.post("/v1/data/{path:path}")
    async def post_data(path: str, request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError as exc:
            return JSONResponse({"code": "invalid_parameter", "message": f"body is not JSON: {exc}"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"code": "invalid_parameter", "message": "body must be an object"}, status_code=400)
        return evaluate(path, body.get("input"))

    @app.get("/v1/data/{path:path}")
    def get_data(path: str) -> JSONResponse:
        return evaluate(path, None)

    return app
