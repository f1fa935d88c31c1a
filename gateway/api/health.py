"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.api.deps import services

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the ledger can write and a policy is active; details say what is wrong."""
    state = services(request)
    policy = state.policy.status()
    checks = {
        "ledger": {"ok": state.ledger.healthy, "error": state.ledger.last_error},
        "policy": policy,
        "pii": {"ok": True, "languages": sorted(state.pii_engine.languages)},
        "pipeline_mode": state.settings.pipeline_mode,
    }
    ready = state.ledger.healthy and bool(policy.get("ready"))
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
