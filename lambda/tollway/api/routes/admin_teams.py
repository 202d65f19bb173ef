"""Team, member and project admin routes (LiteLLM's paths and fields for teams)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.bodies import parse_body
from tollway.api.deps import gateway_of
from tollway.api.routing import Router
from tollway.errors import InvalidRequestError
from tollway.identity.http import admin_call, query_int, query_text, required_query, run
from tollway.identity.records import (
    MemberAdd,
    MemberDelete,
    ProjectDelete,
    ProjectNew,
    ProjectUpdate,
    TeamDelete,
    TeamNew,
    TeamUpdate,
)

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["teams"])
#: ``/v2/team/list`` ``sort_by`` values (LiteLLM's)
SORTABLE = ("team_id", "team_alias", "created_at", "updated_at", "spend", "max_budget")


@router.post("/team/new")
async def team_new(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.new, call, await parse_body(request, TeamNew)))


@router.get("/team/info")
async def team_info(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.info, call, required_query(request, "team_id")))


@router.get("/team/list")
async def team_list(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.listing, call))


@router.get("/v2/team/list")
async def team_list_v2(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    order = query_text(request, "sort_order") or "asc"
    if order not in ("asc", "desc"):
        raise InvalidRequestError("Invalid value for 'sort_order': expected 'asc' or 'desc'.", param="sort_order")
    sort_by = query_text(request, "sort_by")
    if sort_by not in (None, *SORTABLE):
        raise InvalidRequestError(f"Invalid value for 'sort_by': expected one of {', '.join(SORTABLE)}.",
                                  param="sort_by")
    return JSONResponse(await run(
        service.teams.listing_v2, call, page=query_int(request, "page", 1, high=10**6),
        page_size=query_int(request, "page_size", 10), team_id=query_text(request, "team_id"),
        team_alias=query_text(request, "team_alias"), user_id=query_text(request, "user_id"), sort_by=sort_by,
        descending=order == "desc"))


@router.get("/team/available")
async def team_available(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    settings = gateway_of(request).config.litellm_settings.model_extra or {}
    defaults = settings.get("default_internal_user_params")
    offered = defaults.get("available_teams") if isinstance(defaults, dict) else None
    teams = [str(t) for t in offered] if isinstance(offered, list) else []
    return JSONResponse(await run(service.teams.available, call, teams))


@router.post("/team/update")
async def team_update(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.update, call, await parse_body(request, TeamUpdate)))


@router.post("/team/delete")
async def team_delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, TeamDelete)
    return JSONResponse(await run(service.teams.delete, call, body.team_ids))


@router.post("/team/member_add")
async def member_add(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.member_add, call, await parse_body(request, MemberAdd)))


@router.post("/team/member_delete")
async def member_delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.member_delete, call, await parse_body(request, MemberDelete)))


@router.post("/project/new")
async def project_new(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.project_new, call, await parse_body(request, ProjectNew)))


@router.get("/project/info")
async def project_info(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.project_info, call, required_query(request, "project_id")))


@router.get("/project/list")
async def project_list(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.project_list, call, query_text(request, "team_id")))


@router.post("/project/update")
async def project_update(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    return JSONResponse(await run(service.teams.project_update, call, await parse_body(request, ProjectUpdate)))


@router.post("/project/delete")
async def project_delete(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    body = await parse_body(request, ProjectDelete)
    return JSONResponse(await run(service.teams.project_delete, call, body.project_ids))
