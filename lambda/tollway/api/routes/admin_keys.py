"""Virtual key admin routes (LiteLLM's paths and fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.bodies import parse_body
from tollway.api.deps import gateway_of
from tollway.api.routing import Router
from tollway.identity import key_params
from tollway.identity.http import admin_call, query_flag, query_int, query_text, run
from tollway.identity.records import KeyDelete, KeyGenerate, KeyRef, KeyUpdate

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["keys"])


@router.post("/key/generate")
async def generate(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = key_params.apply(await parse_body(request, KeyGenerate), gateway_of(request).config)
    return JSONResponse(await run(service.keys.generate, call, body))


@router.get("/key/info")
async def info(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.keys.info, call, query_text(request, "key")))


@router.get("/key/list")
async def list_keys(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(
        service.keys.listing, call, page=query_int(request, "page", 1, high=10**6),
        size=query_int(request, "size", 10), team_id=query_text(request, "team_id"),
        user_id=query_text(request, "user_id"), key_alias=query_text(request, "key_alias"),
        full=query_flag(request, "return_full_object"), search=query_text(request, "search"),
        cursor=query_text(request, "cursor", longest=4096)))


@router.get("/key/aliases")
async def aliases(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(
        service.keys.aliases, call, page=query_int(request, "page", 1, high=10**6),
        size=query_int(request, "size", 50, high=100), search=query_text(request, "search"),
        team_id=query_text(request, "team_id")))


@router.post("/key/update")
async def update(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, KeyUpdate)
    return JSONResponse(await run(service.keys.update, call, body))


@router.post("/key/delete")
async def delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, KeyDelete)
    return JSONResponse(await run(service.keys.delete, call, body.keys, body.key_aliases))


@router.post("/key/regenerate")
async def regenerate(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, KeyUpdate)
    return JSONResponse(await run(service.keys.regenerate, call, body.key, body))


@router.post("/key/{key}/regenerate")
async def regenerate_by_path(request: Request) -> JSONResponse:
    key = str(request.path_params["key"])  # not a typed parameter: that makes FastAPI import pydantic.v1
    service, call = await admin_call(request)
    body = await parse_body(request, KeyGenerate) if (await request.body()).strip() else None
    return JSONResponse(await run(service.keys.regenerate, call, key, body))


@router.post("/key/block")
async def block(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, KeyRef)
    return JSONResponse(await run(service.keys.set_blocked, call, body.key, True))


@router.post("/key/unblock")
async def unblock(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, KeyRef)
    return JSONResponse(await run(service.keys.set_blocked, call, body.key, False))
