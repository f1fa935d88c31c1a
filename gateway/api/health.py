"""Liveness and readiness, for anyone: component states only.

Details (the policy folder, bundle hash, history, the last reload error, the pipeline mode)
are for the roles of GET /v1/policies/status.
"""

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
    """Ready when the ledger can write and a policy is active."""
    state = services(request)
    checks = {
        "ledger": {"ok": state.ledger.healthy},
        "policy": {"ok": state.policy.ready},
        "pii": {"ok": True},
    }
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
