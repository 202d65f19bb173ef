"""Liveness and readiness probes (no credentials needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from tollway.api.deps import gateway_of

router = APIRouter()


@router.get("/health/liveliness")
@router.get("/health/liveness", include_in_schema=False)
async def liveness() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/health/readiness")
async def readiness(request: Request) -> JSONResponse:
    gateway = gateway_of(request)  # loads the config: a broken one fails readiness
    return JSONResponse({"status": "ready", "models": len(gateway.router.groups)})
