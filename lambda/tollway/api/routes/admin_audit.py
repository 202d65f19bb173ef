"""``GET /audit``: the admin audit log, newest first, with filters and cursor pagination.

Query: ``target_type`` + ``target_id`` (e.g. ``team`` + ``eng``), ``actor``, ``action``,
``since``/``until`` (ISO-8601 UTC), ``limit`` (1-500), ``cursor`` (``next_cursor`` of the
previous page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.routing import Router
from tollway.errors import InvalidRequestError
from tollway.identity.http import admin_call, query_int, query_text, run

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["audit"])


@router.get("/audit")
async def audit(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    target_type, target_id = query_text(request, "target_type"), query_text(request, "target_id")
    target = None
    if target_type or target_id:
        if not (target_type and target_id):
            missing = "target_id" if target_type else "target_type"
            raise InvalidRequestError(f"Missing required parameter: '{missing}'.", param=missing)
        target = f"{target_type}#{target_id}"
    return JSONResponse(await run(
        service.audit, call, target=target, actor=query_text(request, "actor"), action=query_text(request, "action"),
        since=query_text(request, "since"), until=query_text(request, "until"),
        limit=query_int(request, "limit", 50, high=500), cursor=query_text(request, "cursor", longest=4096)))
