"""Langfuse through its OpenTelemetry endpoint: the same spans as ``tracing``, a second exporter.

Why OTLP and not Langfuse's ingestion API: the trace Tollway already builds (GenAI semantic
conventions: model, usage, cost, caller) is what Langfuse's OTLP endpoint maps to traces and
generations, so one pipeline feeds both and no second wire format is kept up to date.

``LANGFUSE_HOST`` (default ``https://cloud.langfuse.com``), ``LANGFUSE_PUBLIC_KEY`` and
``LANGFUSE_SECRET_KEY`` come from the environment; each may be a secret reference
(``secretsmanager/<id>[#key]``, ``os.environ/NAME``). Export runs on the BatchSpanProcessor's thread
with a bounded timeout, so a slow or down Langfuse never slows or fails a request.
"""

from __future__ import annotations

import base64
import os
from typing import Any

DEFAULT_HOST = "https://cloud.langfuse.com"
OTLP_PATH = "/api/public/otel/v1/traces"
#: seconds one export may take before it is abandoned (spans of that batch are dropped)
EXPORT_TIMEOUT = 5.0


class LangfuseConfigError(ValueError):
    """Langfuse is named as a callback but its keys are missing."""


def endpoint_and_headers() -> tuple[str, dict[str, str]]:
    """Langfuse's OTLP traces URL and its Basic auth header (public key : secret key)."""
    from tollway.config.secrets import resolve

    host = resolve(os.environ.get("LANGFUSE_HOST") or os.environ.get("LANGFUSE_BASE_URL")) or DEFAULT_HOST
    public, secret = resolve(os.environ.get("LANGFUSE_PUBLIC_KEY")), resolve(os.environ.get("LANGFUSE_SECRET_KEY"))
    if not public or not secret:
        raise LangfuseConfigError("the 'langfuse' callback needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY")
    token = base64.b64encode(f"{public}:{secret}".encode()).decode()
    return host.rstrip("/") + OTLP_PATH, {"Authorization": f"Basic {token}"}


def exporter() -> Any:
    """An OTLP HTTP/protobuf span exporter aimed at Langfuse."""
    from tollway.observability.otlp_wire import SpanExporter

    url, headers = endpoint_and_headers()
    return SpanExporter(endpoint=url, headers=headers, timeout=EXPORT_TIMEOUT)
