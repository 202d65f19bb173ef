"""``GET /metrics``: Prometheus text exposition for ``tollway serve`` (admins and viewers only).

On Lambda each instance would expose only its own slice of traffic, so the route answers 404
there: CloudWatch (EMF metrics) is the source of truth on AWS.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from starlette.responses import Response

from tollway.api.deps import caller
from tollway.api.routing import Router
from tollway.errors import NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise NotFoundError("/metrics is served by `tollway serve`; on AWS, metrics are in CloudWatch.")
    _, auth, _ = await caller(request)
    if auth.role not in ("proxy_admin", "proxy_admin_viewer"):
        raise PermissionDeniedError("Only admins and viewers may read metrics.", code="admin_only")
    from tollway.observability.prometheus import CONTENT_TYPE, REGISTRY

    return Response(REGISTRY.exposition(), media_type=None, headers={"content-type": CONTENT_TYPE})
