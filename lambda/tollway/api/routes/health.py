"""Liveness and readiness probes (no credentials needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.deps import caller, gateway_of
from tollway.api.routing import Router
from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router()


@router.get("/health/liveliness")
@router.get("/health/liveness", include_in_schema=False)
@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)  # clients' reachability probe (Claude Code)
async def liveness() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/health/readiness")
async def readiness(request: Request) -> JSONResponse:
    gateway = gateway_of(request)  # loads the config: a broken one fails readiness
    return JSONResponse({"status": "ready", "models": len(gateway.router.groups)})


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Probe every deployment (admins only: it spends a few tokens per deployment)."""
    gateway, auth, _ = await caller(request)
    if auth.role not in ("proxy_admin", "proxy_admin_viewer"):
        raise PermissionDeniedError("Only admins may probe deployments.", code="admin_only")
    return JSONResponse(await gateway.prober.report())
