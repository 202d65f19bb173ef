"""``/spend/logs`` and ``/spend/report``: spend from DynamoDB (logs by day, reports from rollups).

Who sees what (RBAC): ``proxy_admin`` and ``proxy_admin_viewer`` everything; a team admin the
teams it administers; anyone else their own spend (their user, or their key when the key has no
user). Dates are UTC ``YYYY-MM-DD``, both ends inclusive.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse

from tollway.api.deps import caller
from tollway.api.routing import Router
from tollway.errors import InvalidRequestError, PermissionDeniedError, ServiceUnavailableError

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.auth.context import AuthContext

router = Router()
MAX_RANGE_DAYS = 366
MAX_FILTER = 256
LOG_FILTERS = ("key_digest", "team_id", "user_id", "model", "provider", "status", "end_user", "project_id")


def _scope(auth: AuthContext, requested: dict[str, str]) -> dict[str, tuple[str, ...]] | None:
    """The dimensions this caller is confined to (None: everything), checked against the filters asked for."""
    from tollway.identity.rbac import can_read_all

    if can_read_all(auth):
        return None
    if auth.admin_teams:
        scope: dict[str, tuple[str, ...]] = {"team_id": tuple(auth.admin_teams)}
    elif auth.user_id:
        scope = {"user_id": (auth.user_id,)}
    elif auth.key_digest:
        scope = {"key_digest": (auth.key_digest,)}
    else:
        raise PermissionDeniedError("This caller has no spend of its own to see.", code="spend_not_allowed")
    for name, allowed in scope.items():
        if name in requested and requested[name] not in allowed:
            raise PermissionDeniedError(f"You may not read spend for {name} '{requested[name]}'.",
                                        param=name, code="spend_not_allowed")
    return scope


def _visible(scope: dict[str, tuple[str, ...]] | None) -> Any:
    if scope is None:
        return None
    return lambda row: all(str(row.get(name) or "") in allowed for name, allowed in scope.items())


def _range(request: Request, default_days: int) -> tuple[date, date]:
    params = request.query_params
    try:
        end = date.fromisoformat(params["end_date"]) if params.get("end_date") else datetime.now(UTC).date()
        start = date.fromisoformat(params["start_date"]) if params.get("start_date") else \
            end - timedelta(days=default_days - 1)
    except ValueError:
        raise InvalidRequestError("start_date and end_date must be YYYY-MM-DD.", param="start_date") from None
    if start > end or (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidRequestError(f"The date range must be 1 to {MAX_RANGE_DAYS} days, start before end.",
                                  param="start_date")
    return start, end


def _store() -> None:
    from tollway.storage import client

    if not client.enabled():
        raise ServiceUnavailableError("Spend tracking needs a DynamoDB store (none is configured).")


@router.get("/spend/logs")
async def spend_logs(request: Request) -> JSONResponse:
    _, auth, _ = await caller(request)
    filters = {name: request.query_params[name] for name in LOG_FILTERS if request.query_params.get(name)}
    for name, value in filters.items():
        if len(value) > MAX_FILTER:
            raise InvalidRequestError(f"Invalid value for '{name}': longer than {MAX_FILTER} characters.", param=name)
    scope = _scope(auth, filters)
    _store()
    start, end = _range(request, 1)
    params = request.query_params
    raw_limit = params.get("limit") or "100"
    if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 12):
        raise InvalidRequestError("Invalid value for 'limit': expected an integer from 1 to 1000.", param="limit")
    limit = min(1000, max(1, int(raw_limit)))
    from tollway.storage.spend_repo import SpendRepo

    if scope is not None:
        for name, allowed in scope.items():
            if name not in filters:
                if len(allowed) != 1:
                    raise InvalidRequestError(f"Name the {name} to read (you may read {', '.join(allowed)}).",
                                              param=name)
                filters[name] = allowed[0]
    try:
        rows, cursor = await asyncio.to_thread(SpendRepo().logs, start, end, filters=filters, limit=limit,
                                               cursor=params.get("cursor"))
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="cursor") from None
    return JSONResponse({"object": "list", "data": rows, "next_cursor": cursor, "has_more": cursor is not None})


@router.get("/spend/report")
async def spend_report(request: Request) -> JSONResponse:
    _, auth, _ = await caller(request)
    scope = _scope(auth, {})
    _store()
    start, end = _range(request, 30)
    from tollway.metering.reports import GROUPS, report
    from tollway.storage.spend_repo import SpendRepo

    group_by = request.query_params.get("group_by", "team")
    if group_by not in GROUPS:
        raise InvalidRequestError(f"group_by must be one of: {', '.join(GROUPS)}.", param="group_by")
    return JSONResponse(await asyncio.to_thread(report, SpendRepo(), group_by, start, end, only=_visible(scope)))
