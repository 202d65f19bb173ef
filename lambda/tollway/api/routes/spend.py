"""``/spend/logs`` and ``/spend/report``: spend from the store (logs by day, reports from rollups).

``/spend/logs`` answers in LiteLLM's shape (a bare list of ``LiteLLM_SpendLogs`` rows, Tollway's
fields alongside; with ``start_date`` and ``end_date`` LiteLLM's daily summary unless
``summarize=false``) and honours LiteLLM's ``api_key`` (raw key or digest), ``user_id``,
``request_id``, ``start_date`` and ``end_date``. Tollway's paged wrapper
(``{object, data, next_cursor, has_more}``) answers instead when ``format=tollway`` or any
parameter LiteLLM lacks is given (``limit``, ``cursor``, ``key_digest``, ``team_id``, ``model``,
``provider``, ``status``, ``end_user``, ``project_id``); ``format=litellm`` forces LiteLLM's.

Who sees what (RBAC): ``proxy_admin`` and ``proxy_admin_viewer`` everything; a team admin the
teams it administers; anyone else their own spend (their user, or their key when the key has no
user). Dates are UTC ``YYYY-MM-DD``, both ends inclusive.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from tollway.api.deps import caller
from tollway.api.routing import Router
from tollway.errors import InvalidRequestError, PermissionDeniedError, ServiceUnavailableError

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.auth.context import AuthContext

router = Router()
MAX_RANGE_DAYS = 366
MAX_FILTER = 256
LOG_FILTERS = ("key_digest", "team_id", "user_id", "model", "provider", "status", "end_user", "project_id",
               "request_id")
#: parameters LiteLLM's /spend/logs does not have: any of them selects Tollway's paged wrapper
TOLLWAY_ONLY = ("limit", "cursor", *(name for name in LOG_FILTERS if name not in ("user_id", "request_id")))
#: the most rows one answer carries (LiteLLM's format continues with ``x-tollway-next-cursor``)
MAX_LOG_ROWS = 1000


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
        end = _day(params["end_date"]) if params.get("end_date") else datetime.now(UTC).date()
        start = _day(params["start_date"]) if params.get("start_date") else end - timedelta(days=default_days - 1)
    except ValueError:
        raise InvalidRequestError("start_date and end_date must be YYYY-MM-DD.", param="start_date") from None
    if start > end or (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidRequestError(f"The date range must be 1 to {MAX_RANGE_DAYS} days, start before end.",
                                  param="start_date")
    return start, end


def _day(value: str) -> date:
    """A ``YYYY-MM-DD`` day, or the day of ``YYYY-MM-DD HH:MM:SS`` / ISO time (LiteLLM takes both)."""
    if len(value) > 10 and value[10] in " T":
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    return date.fromisoformat(value)


def _store() -> None:
    from tollway.storage import client

    if not client.enabled():
        raise ServiceUnavailableError("Spend tracking needs a DynamoDB store (none is configured).")


@router.get("/spend/logs")
async def spend_logs(request: Request) -> Response:
    """LiteLLM's rows (a bare list; with both dates and no ``summarize=false``, LiteLLM's daily
    summary), or Tollway's paged wrapper when a Tollway-only parameter or ``format=tollway`` is given."""
    _, auth, _ = await caller(request)
    params = request.query_params
    tollway = _tollway_format(params)
    filters = log_filters(params)
    scope = _scope(auth, filters)
    _store()
    start, end = _range(request, 1 if tollway else 30)
    if scope is not None:
        for name, allowed in scope.items():
            if name not in filters:
                if len(allowed) != 1:
                    raise InvalidRequestError(f"Name the {name} to read (you may read {', '.join(allowed)}).",
                                              param=name)
                filters[name] = allowed[0]
    from tollway.metering import litellm_views
    from tollway.storage.spend_repo import ROLLUP_FIELDS, SpendRepo

    if not tollway and params.get("start_date") and params.get("end_date") and \
            params.get("summarize", "true").lower() != "false" and set(filters) <= set(ROLLUP_FIELDS):
        rollups = await asyncio.to_thread(SpendRepo().rollups, start, end)
        wanted = [row for row in rollups if all(str(row.get(k)) == v for k, v in filters.items())]
        return JSONResponse(litellm_views.daily_summary(wanted, start, end))
    limit = _limit(params.get("limit"), default=100 if tollway else MAX_LOG_ROWS)
    try:
        rows, cursor = await asyncio.to_thread(SpendRepo().logs, start, end, filters=filters, limit=limit,
                                               cursor=params.get("cursor"))
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="cursor") from None
    if tollway:
        return JSONResponse({"object": "list", "data": rows, "next_cursor": cursor, "has_more": cursor is not None})
    return JSONResponse([litellm_views.log_row(row) for row in rows],
                        headers={"x-tollway-next-cursor": cursor} if cursor else None)


def _tollway_format(params: Any) -> bool:
    fmt = params.get("format") or ""
    if fmt not in ("", "litellm", "tollway"):
        raise InvalidRequestError("Invalid value for 'format': expected 'litellm' or 'tollway'.", param="format")
    return fmt == "tollway" or (not fmt and any(params.get(name) for name in TOLLWAY_ONLY))


def log_filters(params: Any) -> dict[str, str]:
    """The log filters asked for; LiteLLM's ``api_key`` (a raw key or its digest) is the ``key_digest``."""
    filters = {name: params[name] for name in LOG_FILTERS if params.get(name)}
    for name in (*filters, "api_key"):
        if len(params.get(name) or "") > MAX_FILTER:
            raise InvalidRequestError(f"Invalid value for '{name}': longer than {MAX_FILTER} characters.", param=name)
    if params.get("api_key"):
        from tollway.identity.keygen import token_of

        digest = token_of(params["api_key"])
        if filters.setdefault("key_digest", digest) != digest:
            raise InvalidRequestError("'api_key' and 'key_digest' name different keys.", param="api_key")
    return filters


def _limit(raw: str | None, *, default: int) -> int:
    raw = raw or str(default)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise InvalidRequestError("Invalid value for 'limit': expected an integer from 1 to 1000.", param="limit")
    return min(MAX_LOG_ROWS, max(1, int(raw)))


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
