"""LiteLLM's model admin reads: ``/model/info`` (``/v1/model/info``) and ``/model_group/info``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.deps import caller
from tollway.api.routing import Router
from tollway.identity.http import query_text

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["models"])


@router.get("/model/info")
@router.get("/v1/model/info")
async def model_info(request: Request) -> JSONResponse:
    from tollway.api import model_info as info

    gateway, auth, _ = await caller(request)
    return JSONResponse({"data": info.list_deployments(gateway, auth, query_text(request, "litellm_model_id"))})


@router.get("/model_group/info")
async def model_group_info(request: Request) -> JSONResponse:
    from tollway.api import model_info as info

    gateway, auth, _ = await caller(request)
    return JSONResponse({"data": info.list_groups(gateway, auth, query_text(request, "model_group"))})
