"""Soft-budget alerts: a log line, a ``BudgetAlerts`` metric, and an SNS message when a topic is set."""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)


def soft_budget_crossed(scope: str, scope_id: str, spent: float, soft_budget: float, topic_arn: str | None) -> None:
    log.warning("soft budget crossed: %s %s spent %.6f of soft_budget %.6f", scope, scope_id, spent, soft_budget)
    from tollway.observability.metrics import emit_alert

    emit_alert(scope, scope_id, spent, soft_budget)
    if not topic_arn:
        return
    try:
        import boto3

        boto3.client("sns").publish(TopicArn=topic_arn, Subject="Tollway soft budget reached", Message=json.dumps(
            {"scope": scope, "scope_id": scope_id, "spent": spent, "soft_budget": soft_budget}))
    except Exception:
        log.exception("publishing the soft budget alert failed")
