"""``GET /audit``: the admin audit log, newest first, with filters and cursor pagination.

Query: ``target_type`` + ``target_id`` (e.g. ``team`` + ``eng``), ``actor``, ``action``,
``since``/``until`` (ISO-8601 UTC), ``limit`` (1-500), ``cursor`` (``next_cursor`` of the
previous page).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from tollway.errors import InvalidRequestError
from tollway.identity.http import admin_call, query_int, run

router = APIRouter(tags=["audit"])


@router.get("/audit")
async def audit(request: Request) -> JSONResponse:
    service, call = await admin_call(request)
    q = request.query_params
    target = None
    if q.get("target_type") or q.get("target_id"):
        if not (q.get("target_type") and q.get("target_id")):
            missing = "target_id" if q.get("target_type") else "target_type"
            raise InvalidRequestError(f"Missing required parameter: '{missing}'.", param=missing)
        target = f"{q['target_type']}#{q['target_id']}"
    return JSONResponse(await run(
        service.audit, call, target=target, actor=q.get("actor"), action=q.get("action"), since=q.get("since"),
        until=q.get("until"), limit=query_int(request, "limit", 50, high=500), cursor=q.get("cursor")))
