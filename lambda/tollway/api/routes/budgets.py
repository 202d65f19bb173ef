"""Budget admin routes, LiteLLM's ``/budget/*`` (named limits that customers and keys reference)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.bodies import parse_body
from tollway.api.routing import Router
from tollway.identity.http import admin_call, run
from tollway.identity.records import BudgetDelete, BudgetInfo, BudgetNew, BudgetUpdate

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["budgets"])


@router.post("/budget/new")
async def budget_new(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.budgets.new, call, await parse_body(request, BudgetNew)))


@router.post("/budget/info")
async def budget_info(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, BudgetInfo)
    return JSONResponse(await run(service.budgets.info, call, body.budgets))


@router.get("/budget/list")
async def budget_list(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.budgets.listing, call))


@router.post("/budget/update")
async def budget_update(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.budgets.update, call, await parse_body(request, BudgetUpdate)))


@router.post("/budget/delete")
async def budget_delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, BudgetDelete)
    return JSONResponse(await run(service.budgets.delete, call, body.id))
