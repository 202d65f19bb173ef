"""CloudWatch metrics as EMF: one document per settled request, written and flushed at once.

Namespace ``Tollway``. Each CloudWatch series costs money (a custom metric per metric name and
dimension values), so a request's document carries only the dimension sets the dashboard and alarms
read (``DEFAULT_DIRECTIVES``), each with only the metrics read under it:

* (Team): Requests, CostUSD — cost and traffic by team
* (Model): InputTokens, OutputTokens, CachedTokens, CostUSD, LatencyMs, TTFTMs (+ PriceMissing)
* (Provider): CostUSD, Errors

At 5 teams x 4 models x 3 providers that is 10 + 24 + 6 = 40 series (docs/deploy.md prices it).
Operators may opt into more sets with ``TOLLWAY_METRIC_DIMENSIONS`` (``Team+Model;Team+Provider``):
each extra set carries every request metric. Key, user and request ids go in the document as
properties (searchable in Logs Insights, never dimensions). The document is one JSON line on stdout,
flushed immediately, the same in Mangum and response-streaming mode (uvicorn's stdout is a pipe).
Metering calls ``emit_request`` and ``emit_alert``; another module may ``emit`` its own counters.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

NAMESPACE = "Tollway"
EXTRA_DIMENSIONS_ENV = "TOLLWAY_METRIC_DIMENSIONS"
UNITS = {"Requests": "Count", "Errors": "Count", "InputTokens": "Count", "OutputTokens": "Count",
         "CachedTokens": "Count", "CostUSD": "None", "LatencyMs": "Milliseconds", "TTFTMs": "Milliseconds",
         "PriceMissing": "Count"}
#: (dimension set, metrics published under it): what the dashboard and the alarms read
DEFAULT_DIRECTIVES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("Team",), ("Requests", "CostUSD")),
    (("Model",), ("InputTokens", "OutputTokens", "CachedTokens", "CostUSD", "LatencyMs", "TTFTMs", "PriceMissing")),
    (("Provider",), ("CostUSD", "Errors")),
)
DIMENSION_FIELDS = {"Team": "team_id", "Model": "model", "Provider": "provider"}
METADATA_FIELDS = ("request_id", "key_digest", "user_id", "project_id", "deployment_id", "status", "error_type")
log = logging.getLogger(__name__)


def extra_dimension_sets() -> list[tuple[str, ...]]:
    """The opted-in sets from ``TOLLWAY_METRIC_DIMENSIONS``; unknown dimension names are ignored."""
    sets: list[tuple[str, ...]] = []
    for part in os.environ.get(EXTRA_DIMENSIONS_ENV, "").split(";"):
        names = tuple(name.strip() for name in part.split("+") if name.strip() in DIMENSION_FIELDS)
        if names and names not in sets:
            sets.append(names)
    return sets


def document(values: Mapping[str, float], dimensions: Mapping[str, str],
             directives: Sequence[tuple[Sequence[str], Sequence[str]]], properties: Mapping[str, Any] | None = None,
             units: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An EMF document: each directive publishes its metrics (those present in ``values``) under its dimensions."""
    units = units or UNITS
    cloudwatch = []
    for dims, names in directives:
        metrics = [{"Name": name, "Unit": units.get(name, "None")} for name in names if name in values]
        if metrics:
            cloudwatch.append({"Namespace": NAMESPACE, "Dimensions": [list(dims)], "Metrics": metrics})
    doc: dict[str, Any] = {**(properties or {}), **dimensions, **values}
    doc["_aws"] = {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": cloudwatch}
    return doc


def write(doc: Mapping[str, Any]) -> None:
    """One line on stdout, flushed now: nothing may sit in a buffer when the invocation freezes."""
    sys.stdout.write(json.dumps({"_aws": doc["_aws"], **{k: v for k, v in doc.items() if k != "_aws"}},
                                default=str, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def emit(name: str, value: float = 1, unit: str = "Count", **properties: Any) -> None:
    """A single dimensionless metric (e.g. ``SettlementsQueued``), with properties for Logs Insights."""
    try:
        write(document({name: value}, {}, [((), (name,))], properties, {name: unit}))
    except (OSError, ValueError, TypeError):
        log.exception("emitting metric %s failed", name)


def emit_request(record: dict[str, Any]) -> None:
    """Requests/Errors/tokens/cost/latency of one settled request."""
    try:
        values: dict[str, float] = {
            "Requests": 1,
            "Errors": 0 if record.get("status") == "success" else 1,
            "InputTokens": record.get("prompt_tokens") or 0,
            "OutputTokens": record.get("completion_tokens") or 0,
            "CachedTokens": record.get("cached_tokens") or 0,
            "CostUSD": float(record.get("cost") or 0),
            "LatencyMs": record.get("latency_ms") or 0,
        }
        if record.get("ttft_ms") is not None:
            values["TTFTMs"] = record["ttft_ms"]
        if record.get("price_missing"):
            values["PriceMissing"] = 1
        values = {k: v for k, v in values.items() if isinstance(v, int | float) and math.isfinite(v)}
        dimensions = {dim: str(record.get(field) or "-") for dim, field in DIMENSION_FIELDS.items()}
        directives = [*DEFAULT_DIRECTIVES, *((dims, tuple(UNITS)) for dims in extra_dimension_sets())]
        properties = {key: str(record[key]) for key in METADATA_FIELDS if record.get(key)}
        write(document(values, dimensions, directives, properties))
    except (OSError, ValueError, TypeError):
        log.exception("emitting request metrics failed")


def emit_alert(scope: str, scope_id: str, spent: float, soft_budget: float) -> None:
    """A soft budget was crossed: one ``BudgetAlerts`` data point, scope as dimension, id as a property."""
    try:
        write(document({"BudgetAlerts": 1}, {"Scope": scope}, [(("Scope",), ("BudgetAlerts",))],
                       {"scope_id": scope_id, "spent": spent, "soft_budget": soft_budget}, {"BudgetAlerts": "Count"}))
    except (OSError, ValueError, TypeError):
        log.exception("emitting budget alert metric failed")
