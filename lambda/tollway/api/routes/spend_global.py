"""LiteLLM's ``/global/spend/logs`` and ``/global/spend/report``, from the daily rollups.

* ``/global/spend/logs[?api_key=]``: ``[{date, spend}]`` per day of the last 30 with spend (one key's,
  with ``api_key`` on each row, when given).
* ``/global/spend/report?start_date=&end_date=`` (both required, ``YYYY-MM-DD``, inclusive):
  ``group_by=team`` (default) per day and team with the spend of each (model, key);
  ``group_by=api_key``, or ``api_key=`` / ``internal_user_id=``, per key with its models. ``team_id``
  narrows any of them. ``group_by=customer`` is refused (400): the rollups are not kept by end user;
  ``/spend/logs?end_user=`` lists an end user's requests.

RBAC as ``/spend/*``: a caller sees only the rollups of its teams, user or key.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse

from tollway.api.deps import caller
from tollway.api.routes.spend import MAX_FILTER, _range, _scope, _store, _visible
from tollway.api.routing import Router
from tollway.errors import InvalidRequestError

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

router = Router()
GROUPS = ("team", "api_key", "customer")


def _text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and len(value) > MAX_FILTER:
        raise InvalidRequestError(f"Invalid value for '{name}': longer than {MAX_FILTER} characters.", param=name)
    return value


def _wanted(visible: Callable[[dict[str, Any]], bool] | None, filters: dict[str, str]) -> Callable[
        [dict[str, Any]], bool]:
    return lambda row: (visible is None or visible(row)) and all(str(row.get(k)) == v for k, v in filters.items())


@router.get("/global/spend/logs")
async def global_spend_logs(request: Request) -> JSONResponse:
    _, auth, _ = await caller(request)
    api_key = _text(request, "api_key")
    filters: dict[str, str] = {}
    if api_key:
        from tollway.identity.keygen import token_of

        filters["key_digest"] = token_of(api_key)
    scope = _scope(auth, filters)
    _store()
    from tollway.metering.litellm_views import daily_spend
    from tollway.storage.spend_repo import SpendRepo

    end = datetime.now(UTC).date()
    rollups = await asyncio.to_thread(SpendRepo().rollups, end - timedelta(days=30), end)
    wanted = _wanted(_visible(scope), filters)
    return JSONResponse(daily_spend([r for r in rollups if wanted(r)], api_key=filters.get("key_digest")))


@router.get("/global/spend/report")
async def global_spend_report(request: Request) -> JSONResponse:
    _, auth, _ = await caller(request)
    params = request.query_params
    if not params.get("start_date") or not params.get("end_date"):
        raise InvalidRequestError("Please provide start_date and end_date.", param="start_date")
    group_by = params.get("group_by") or "team"
    if group_by not in GROUPS:
        raise InvalidRequestError(f"group_by must be one of: {', '.join(GROUPS)}.", param="group_by")
    filters = {name: value for name, value in (("team_id", _text(request, "team_id")),
                                               ("user_id", _text(request, "internal_user_id"))) if value}
    api_key = _text(request, "api_key")
    if api_key:
        from tollway.identity.keygen import token_of

        filters["key_digest"] = token_of(api_key)
    if group_by == "customer" or _text(request, "customer_id"):
        raise InvalidRequestError("Spend by customer (end user) is not kept in the rollups; list an end user's "
                                  "requests with /spend/logs?end_user=<id>.", param="group_by")
    scope = _scope(auth, filters)
    _store()
    start, end = _range(request, 30)
    from tollway.metering import litellm_views
    from tollway.storage.spend_repo import SpendRepo

    rollups = await asyncio.to_thread(SpendRepo().rollups, start, end)
    wanted = _wanted(_visible(scope), filters)
    rows = [r for r in rollups if wanted(r)]
    if group_by == "api_key" or "key_digest" in filters or "user_id" in filters:
        return JSONResponse(litellm_views.by_key(rows))
    aliases = await asyncio.to_thread(_team_aliases, {str(r.get("team_id")) for r in rows})
    return JSONResponse(litellm_views.by_team(rows, aliases))


def _team_aliases(team_ids: set[str]) -> dict[str, str]:
    """team id -> team_alias, for the teams that have one (one batch read)."""
    from tollway.storage.identity_repo import IdentityRepo

    found = IdentityRepo().get_many([("team", t) for t in team_ids if t and t != "-"])
    return {ident: str(record["team_alias"]) for (_, ident), record in found.items() if record.get("team_alias")}
