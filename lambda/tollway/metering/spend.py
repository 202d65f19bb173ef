"""The spend record of one request: what the spend log stores, the rollups sum and the metrics show.

No message content unless ``general_settings.store_prompts_in_spend_logs`` is true (then the
request's messages, truncated to ``MAX_CONTENT`` characters of JSON).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext
    from tollway.config.models import Deployment
    from tollway.metering.cost import CostBreakdown
    from tollway.types.chat import Usage

MAX_CONTENT = 32_000


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_record(*, request_id: str, auth: AuthContext, model: str | None, end_user: str | None,
                 deployment: Deployment | None, usage: Usage | None, cost: CostBreakdown, started: float,
                 ended: float, ttft_ms: float | None, status: str, error_type: str | None,
                 request: Any, store_content: bool, usage_estimated: bool,
                 request_tags: list[str] | None = None) -> dict[str, Any]:
    """The record; ``request_tags`` are the request's tags (``routing.tags``), LiteLLM's spend log field."""
    metadata = getattr(request, "metadata", None) or {}
    tags = request_tags or (metadata.get("tags") if isinstance(metadata, dict) else None)
    record: dict[str, Any] = {
        "request_id": request_id,
        "key_digest": auth.key_digest,
        "team_id": auth.team_id,
        "project_id": auth.project_id,
        "user_id": auth.user_id,
        "end_user": end_user,
        "model": model,
        "deployment_id": deployment.id if deployment else None,
        "provider": deployment.provider if deployment else None,
        "upstream_model": deployment.upstream_model if deployment else None,
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
        "cached_tokens": usage.cached_tokens if usage else 0,
        "cache_write_tokens": usage.cache_creation_tokens if usage else 0,
        "reasoning_tokens": usage.reasoning_tokens if usage else 0,
        "cost": round(cost.total, 12),
        "cost_breakdown": {k: round(v, 12) for k, v in (("input", cost.input), ("output", cost.output),
                                                        ("cache_read", cost.cache_read),
                                                        ("cache_write", cost.cache_write),
                                                        ("reasoning", cost.reasoning)) if v},
        "price_missing": cost.price_missing or None,
        "usage_estimated": usage_estimated or None,
        "started_at": iso(started),
        "ended_at": iso(ended),
        "latency_ms": round((ended - started) * 1000, 3),
        "ttft_ms": None if ttft_ms is None else round(ttft_ms, 3),
        "status": status,
        "error_type": error_type,
        "tags": [str(t) for t in tags] if isinstance(tags, list) and tags else None,
        "request_tags": list(request_tags) if request_tags else None,
        "metadata": {str(k): str(v) for k, v in metadata.items() if k != "tags"} if isinstance(metadata, dict)
        and metadata else None,
    }
    if store_content and getattr(request, "messages", None) is not None:
        record["messages"] = json.dumps(request.model_dump(mode="json", include={"messages"}))[:MAX_CONTENT]
    if not record["cost_breakdown"]:
        record["cost_breakdown"] = None
    return record
