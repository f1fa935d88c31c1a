"""Policy status and versions: what is active, since when, and the last failed reload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from gateway.api.deps import authenticated, services

router = APIRouter(prefix="/v1/policies", tags=["policies"])
READER_ROLES = ("security_admin", "compliance_officer", "admin")


@router.get("/status")
async def policy_status(request: Request) -> dict[str, Any]:
    authenticated(request, *READER_ROLES)
    return services(request).policy.status()
