"""A fake OPA server: the subset of OPA's REST Data API the gateway's remote engine uses.

What it imitates (bound to 127.0.0.1 under uvicorn)::

    POST /v1/data/{path}   {"input": ...}  ->  {"result": ...}, or {} when undefined
    GET  /v1/data/{path}                   ->  the same, without input
    GET  /health                           ->  {}

Errors answer like OPA: HTTP 500 with ``{"code": "internal_error", "message": ...}``;
a body that is not JSON, 400 with ``invalid_parameter``.

Why a fake: the ``opa`` binary cannot be installed on our build machines, yet
``RemoteOpaPolicyEngine`` (opa-python-client over HTTP) needs a server to talk to. Only the
HTTP layer is imitated: the decisions come from the real OPA engine through the Go bindings
(``opa_bindings``), the same engine ``OpaGolibPolicyEngine`` in gateway/policy/engine.py
embeds and the differential and Rego-unit tests run. So the real evaluator stays covered;
what this fake cannot vouch for is OPA's server itself (its routing, auth, bundle loading).
It lives under tests/ because nothing in the product serves it.
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


def create_fake_opa_app(bundle: PolicyBundle) -> FastAPI:
    """A fake OPA serving ``bundle``'s policies and data (its Rego tests are not loaded)."""
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

    app = FastAPI(title="govgate-fake-opa", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
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
