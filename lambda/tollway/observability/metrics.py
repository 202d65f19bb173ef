"""CloudWatch metrics as EMF through powertools: one document per request, flushed at once.

Namespace ``Tollway``; dimension sets (Team), (Model), (Team, Model), (Provider); key, user and
request ids go in metadata (high-cardinality values must not become dimensions). Each request's
document is printed to stdout when the request is settled, which works the same in Mangum and
response-streaming mode (nothing waits for the handler to return). ``EphemeralMetrics`` keeps no
state shared between concurrent requests. Metering calls ``emit_request`` (with ``PriceMissing``
for unpriced models) and ``emit_alert`` for soft-budget alerts.
"""

from __future__ import annotations

import logging
from typing import Any

NAMESPACE = "Tollway"
log = logging.getLogger(__name__)


def _metrics() -> Any:
    from aws_lambda_powertools.metrics import EphemeralMetrics

    metrics = EphemeralMetrics(namespace=NAMESPACE)
    # POWERTOOLS_SERVICE_NAME would add a "service" dimension to the (Team) set, changing its identity
    metrics.service = ""  # falsy: powertools then adds no service dimension
    return metrics


def emit_request(record: dict[str, Any]) -> None:
    """Requests/Errors/tokens/cost/latency of one settled request."""
    try:
        from aws_lambda_powertools.metrics import MetricUnit

        metrics = _metrics()
        team, model, provider = record.get("team_id") or "-", record.get("model") or "-", record.get("provider") or "-"
        metrics.add_dimension(name="Team", value=team)
        metrics.add_dimensions(Model=model)
        metrics.add_dimensions(Team=team, Model=model)
        metrics.add_dimensions(Provider=provider)
        failed = record.get("status") != "success"
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1 if failed else 0)
        metrics.add_metric(name="InputTokens", unit=MetricUnit.Count, value=record.get("prompt_tokens") or 0)
        metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=record.get("completion_tokens") or 0)
        metrics.add_metric(name="CachedTokens", unit=MetricUnit.Count, value=record.get("cached_tokens") or 0)
        metrics.add_metric(name="CostUSD", unit=MetricUnit.NoUnit, value=float(record.get("cost") or 0))
        metrics.add_metric(name="LatencyMs", unit=MetricUnit.Milliseconds, value=record.get("latency_ms") or 0)
        if record.get("ttft_ms") is not None:
            metrics.add_metric(name="TTFTMs", unit=MetricUnit.Milliseconds, value=record["ttft_ms"])
        if record.get("price_missing"):
            metrics.add_metric(name="PriceMissing", unit=MetricUnit.Count, value=1)
        for key in ("request_id", "key_digest", "user_id", "project_id", "deployment_id", "status", "error_type"):
            if record.get(key):
                metrics.add_metadata(key=key, value=str(record[key]))
        metrics.flush_metrics()
    except Exception:
        log.exception("emitting request metrics failed")


def emit_alert(scope: str, scope_id: str, spent: float, soft_budget: float) -> None:
    """A soft budget was crossed: one ``BudgetAlerts`` data point, scope as dimension, id in metadata."""
    try:
        from aws_lambda_powertools.metrics import MetricUnit

        metrics = _metrics()
        metrics.add_dimension(name="Scope", value=scope)
        metrics.add_metric(name="BudgetAlerts", unit=MetricUnit.Count, value=1)
        metrics.add_metadata(key="scope_id", value=scope_id)
        metrics.add_metadata(key="spent", value=spent)
        metrics.add_metadata(key="soft_budget", value=soft_budget)
        metrics.flush_metrics()
    except Exception:
        log.exception("emitting budget alert metric failed")
