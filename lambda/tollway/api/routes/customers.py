"""Customer (end user) admin routes, LiteLLM's ``/customer/*`` (and its older ``/end_user/*`` names)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.bodies import parse_body
from tollway.api.deps import gateway_of
from tollway.api.routing import Router
from tollway.identity.http import admin_call, required_query, run
from tollway.identity.records import CustomerIds, CustomerNew, CustomerUpdate

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["customers"])


def _served(request: Request) -> set[str]:
    """The model names a customer's ``default_model`` may name."""
    models = gateway_of(request).router.models
    return {*models.exact, *models.patterns, *models.visible_aliases()}


@router.post("/customer/new")
@router.post("/end_user/new", include_in_schema=False)
async def customer_new(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, CustomerNew)
    return JSONResponse(await run(service.customers.new, call, body, _served(request)))


@router.get("/customer/info")
@router.get("/end_user/info", include_in_schema=False)
async def customer_info(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.customers.info, call, required_query(request, "end_user_id")))


@router.get("/customer/list")
@router.get("/end_user/list", include_in_schema=False)
async def customer_list(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.customers.listing, call))


@router.post("/customer/update")
@router.post("/end_user/update", include_in_schema=False)
async def customer_update(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, CustomerUpdate)
    return JSONResponse(await run(service.customers.update, call, body, _served(request)))


@router.post("/customer/delete")
@router.post("/end_user/delete", include_in_schema=False)
async def customer_delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, CustomerIds)
    return JSONResponse(await run(service.customers.delete, call, body.user_ids))


@router.post("/customer/block")
@router.post("/end_user/block", include_in_schema=False)
async def customer_block(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, CustomerIds)
    return JSONResponse(await run(service.customers.set_blocked, call, body.user_ids, True))


@router.post("/customer/unblock")
@router.post("/end_user/unblock", include_in_schema=False)
async def customer_unblock(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, CustomerIds)
    return JSONResponse(await run(service.customers.set_blocked, call, body.user_ids, False))
