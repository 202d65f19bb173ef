"""``/spend/logs`` and ``/spend/report``: spend from DynamoDB (logs by day, reports from rollups).

Admin-only for now (the master key or a proxy_admin caller); identity's RBAC will widen this to
team admins for their own teams. Dates are UTC ``YYYY-MM-DD``, both ends inclusive.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from tollway.api.deps import caller
from tollway.errors import InvalidRequestError, PermissionDeniedError, ServiceUnavailableError

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext

router = APIRouter()
MAX_RANGE_DAYS = 366
LOG_FILTERS = ("key_digest", "team_id", "user_id", "model", "provider", "status", "end_user", "project_id")


def _admin(auth: AuthContext) -> None:
    if not auth.is_admin:
        raise PermissionDeniedError("Spend endpoints need an admin key.", code="admin_only")


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
    _admin(auth)
    _store()
    start, end = _range(request, 1)
    params = request.query_params
    try:
        limit = min(1000, max(1, int(params.get("limit", "100"))))
    except ValueError:
        raise InvalidRequestError("limit must be an integer.", param="limit") from None
    from tollway.storage.spend_repo import SpendRepo

    filters = {name: params[name] for name in LOG_FILTERS if params.get(name)}
    try:
        rows, cursor = await asyncio.to_thread(SpendRepo().logs, start, end, filters=filters, limit=limit,
                                               cursor=params.get("cursor"))
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="cursor") from None
    return JSONResponse({"object": "list", "data": rows, "next_cursor": cursor, "has_more": cursor is not None})


@router.get("/spend/report")
async def spend_report(request: Request) -> JSONResponse:
    _, auth, _ = await caller(request)
    _admin(auth)
    _store()
    start, end = _range(request, 30)
    from tollway.metering.reports import GROUPS, report
    from tollway.storage.spend_repo import SpendRepo

    group_by = request.query_params.get("group_by", "team")
    if group_by not in GROUPS:
        raise InvalidRequestError(f"group_by must be one of: {', '.join(GROUPS)}.", param="group_by")
    return JSONResponse(await asyncio.to_thread(report, SpendRepo(), group_by, start, end))
