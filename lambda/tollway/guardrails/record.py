"""Recording guardrail decisions: the spend log flag, the EMF metric, a log line and, for blocks, an audit entry.

Never the offending text: a decision is (guardrail, category, action, stage). The spend log reads
``ctx.extra["guardrails"]``; the metric ``GuardrailViolations`` has dimension sets (Guardrail, Action) and
(Team), flushed as one EMF document per decision when metrics are on (Lambda or ``TOLLWAY_EMF_METRICS``).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from tollway.observability import tracing

if TYPE_CHECKING:
    from tollway.guardrails.base import Guardrail, Session

log = logging.getLogger(__name__)
CONTEXT_KEY = "guardrails"


async def decision(session: Session, guardrail: Guardrail, category: str, action: str) -> None:
    entry = {"guardrail": guardrail.name, "category": category, "action": action, "stage": session.stage}
    session.ctx.extra.setdefault(CONTEXT_KEY, []).append(entry)
    tracing.guardrail_event(guardrail.name, action=action, category=category, stage=str(session.stage))
    log.info("guardrail %s: %s %s on %s (request %s)", guardrail.name, action, category, session.stage,
             session.ctx.request_id)
    if _metrics_enabled():
        emit(guardrail.name, action, session.auth.team_id)
    if action == "block" and session.audit is not None:
        await session.audit(entry)


def _metrics_enabled() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or os.environ.get("TOLLWAY_EMF_METRICS"))


def emit(guardrail: str, action: str, team: str | None) -> None:
    """One ``GuardrailViolations`` data point in namespace Tollway."""
    try:
        from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

        from tollway.observability.metrics import NAMESPACE

        metrics = EphemeralMetrics(namespace=NAMESPACE)
        metrics.service = ""  # no implicit service dimension: the dimension sets stay exactly these
        metrics.add_dimension(name="Guardrail", value=guardrail)
        metrics.add_dimension(name="Action", value=action)
        metrics.add_dimensions(Team=team or "-")
        metrics.add_metric(name="GuardrailViolations", unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()
    except Exception:
        log.exception("emitting guardrail metric failed")


def auditor(identity: Any, auth: Any, request_id: str) -> Any:
    """An ``audit`` callable writing ``guardrail.block`` entries through the identity service (into the
    same audit log as admin changes, no schema change); it does nothing when the gateway has no store."""

    async def write(entry: dict[str, Any]) -> None:
        import asyncio

        from tollway.identity.base import Call

        service = await asyncio.to_thread(lambda: getattr(identity, "service", None))
        if service is None:
            return
        target = auth.key_digest or auth.principal or auth.team_id or auth.kind
        kind = "key" if auth.key_digest else ("principal" if auth.principal else "team")
        try:
            op = service.store.audit(Call(auth, request_id), "guardrail.block", kind, target, before=None,
                                     after=dict(entry))
            await asyncio.to_thread(service.store.repo.transact, [op])
        except Exception:
            log.exception("writing the guardrail audit entry failed")

    return write
