"""The JSON request log: one line per request, never message content or keys (it also feeds ``/metrics``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from tollway.observability.prometheus import REGISTRY

if TYPE_CHECKING:
    from tollway.api.context import RequestContext

logger = Logger(service="tollway", level=os.environ.get("TOLLWAY_LOG_LEVEL", "INFO"))


def log_request(ctx: RequestContext, *, method: str, path: str, status: int) -> None:
    fields: dict[str, Any] = {
        "request_id": ctx.request_id,
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": round(ctx.elapsed_ms(), 2),
        "overhead_ms": round(ctx.overhead_ms(), 2),
    }
    for name in ("model", "deployment", "provider", "error_type"):
        value = getattr(ctx, name)
        if value is not None:
            fields[name] = value
    if ctx.usage is not None:
        fields["prompt_tokens"] = ctx.usage.prompt_tokens
        fields["completion_tokens"] = ctx.usage.completion_tokens
    if ctx.auth is not None:
        fields["auth"] = ctx.auth.kind
        if ctx.auth.team_id:
            fields["team_id"] = ctx.auth.team_id
    REGISTRY.observe_request(fields, cost=ctx.charge.cost if ctx.charge is not None else None)
    if status >= 500:
        logger.error("request", extra=fields)
    else:
        logger.info("request", extra=fields)
