"""Policy status and versions: what is active, since when, and the last failed reload."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request

from gateway.api.deps import authenticated, services
from gateway.api.query import strict_query
from gateway.auth import AuthenticatedCaller
from gateway.store.policy_versions import list_versions

router = APIRouter(prefix="/v1/policies", tags=["policies"])
READER_ROLES = ("security_admin", "compliance_officer", "admin")


async def _reader(request: Request) -> AuthenticatedCaller:
    return await authenticated(request, *READER_ROLES)


@router.get("/status")
async def policy_status(request: Request, _reader: AuthenticatedCaller = Depends(_reader),
                        _query: None = Depends(strict_query())) -> dict[str, Any]:
    state = services(request)
    # The pipeline mode lives here, with the details /readyz no longer shows to anyone.
    return {**state.policy.status(), "pipeline_mode": state.settings.pipeline_mode}


@router.get("/versions")
async def policy_versions(request: Request, _reader: AuthenticatedCaller = Depends(_reader),
                          _query: None = Depends(strict_query())) -> dict[str, Any]:
    """Every bundle that was active, newest first, with its activation time."""
    database = services(request).database
    versions = await anyio.to_thread.run_sync(lambda: list_versions(database))
    return {"object": "list", "data": [v.model_dump(mode="json") for v in versions]}
