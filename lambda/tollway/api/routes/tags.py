"""``GET /spend/tags``: spend per request tag (LiteLLM's path and shape), from the daily tag rollups.

Query: ``start_date``, ``end_date`` (UTC ``YYYY-MM-DD``, inclusive; the last 30 days by default). Rows are
``{individual_request_tag, log_count, total_spend}``, most spent first. Readers of all spend only
(``proxy_admin``, ``proxy_admin_viewer``): tag rollups are not kept per team or key.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.deps import caller
from tollway.api.routes.spend import _range, _store
from tollway.api.routing import Router
from tollway.identity import rbac

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["spend"])


@router.get("/spend/tags")
async def spend_tags(request: Request) -> JSONResponse:
    _, auth, _ = await caller(request)
    rbac.require_reader(auth, "read spend by tag")
    _store()
    start, end = _range(request, 30)
    from tollway.metering.reports import tag_spend
    from tollway.storage.spend_repo import SpendRepo

    return JSONResponse(await asyncio.to_thread(tag_spend, SpendRepo(), start, end))
