"""Policy status and versions: what is active, since when, and the last failed reload."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request

from gateway.api.deps import authenticated, services
from gateway.policy.versions import list_versions

router = APIRouter(prefix="/v1/policies", tags=["policies"])
READER_ROLES = ("security_admin", "compliance_officer", "admin")


@router.get("/status")
async def policy_status(request: Request) -> dict[str, Any]:
    authenticated(request, *READER_ROLES)
    return services(request).policy.status()


@router.get("/versions")
async def policy_versions(request: Request) -> dict[str, Any]:
    """Every bundle that was active, newest first, with its activation time."""
    authenticated(request, *READER_ROLES)
    database = services(request).database
    versions = await anyio.to_thread.run_sync(lambda: list_versions(database))
    return {"object": "list", "data": [v.model_dump(mode="json") for v in versions]}
