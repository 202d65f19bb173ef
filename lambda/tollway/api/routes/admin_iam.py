"""IAM principal mapping routes: which team/user/role an IAM caller acts as."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.bodies import parse_body
from tollway.api.routing import Router
from tollway.identity.http import admin_call, run
from tollway.identity.records import PrincipalDelete, PrincipalNew

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["iam"])


@router.post("/iam/principal/new")
async def principal_new(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.principals.new, call, await parse_body(request, PrincipalNew)))


@router.get("/iam/principal/list")
async def principal_list(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.principals.listing, call))


@router.post("/iam/principal/delete")
async def principal_delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, PrincipalDelete)
    return JSONResponse(await run(service.principals.delete, call, body.principal_arns))
