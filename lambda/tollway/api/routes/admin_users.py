"""User admin routes (LiteLLM's paths and fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.bodies import parse_body
from tollway.api.routing import Router
from tollway.identity.http import admin_call, query_int, query_text, run
from tollway.identity.records import UserDelete, UserNew, UserUpdate

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["users"])


@router.post("/user/new")
async def user_new(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.users.new, call, await parse_body(request, UserNew)))


@router.get("/user/info")
async def user_info(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.users.info, call, query_text(request, "user_id")))


@router.get("/v2/user/info")
async def user_info_v2(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.users.info_v2, call, query_text(request, "user_id")))


@router.get("/user/list")
async def user_list(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(
        service.users.listing, call, page=query_int(request, "page", 1, high=10**6),
        page_size=query_int(request, "page_size", 25), role=query_text(request, "role")))


@router.post("/user/update")
async def user_update(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.users.update, call, await parse_body(request, UserUpdate)))


@router.post("/user/delete")
async def user_delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, UserDelete)
    return JSONResponse(await run(service.users.delete, call, body.user_ids))
