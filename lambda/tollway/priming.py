"""SnapStart: prime the process during init so the snapshot holds a ready gateway; refresh it after restore.

``prime()`` runs at init only when ``TOLLWAY_PRIME=1`` (the stack sets it with ``-c snapstart=true``;
without SnapStart, init time would just move from the first request to init). It builds the gateway
from the packaged config, imports each configured provider adapter and the DynamoDB client's service
model, and, given a request runner, serves one ``GET /health/liveliness`` in-process so routing,
middleware and the response path are warm. No network and no AWS call: secrets and tables are read
by real requests only.

``after_restore()``: one snapshot is resumed by many execution environments, so it re-seeds ``random``
and drops what holds sockets or per-environment state (the DynamoDB client, the provider adapters and
their HTTP connection pools); each is rebuilt on first use.

``register_hooks()`` wires ``after_restore`` into the Lambda Python runtime (``snapshot_restore_py``,
present on Lambda's Python 3.12+ runtimes) and does nothing elsewhere. Under the Lambda Web Adapter the
runtime's hooks do not run in the uvicorn process, which is why SnapStart is documented for buffered
mode first (docs/deploy.md).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

PRIME_ENV = "TOLLWAY_PRIME"


def wanted() -> bool:
    return os.environ.get(PRIME_ENV, "").lower() in ("1", "true", "yes")


def prime(run_request: Callable[[dict[str, Any]], Any] | None = None) -> None:
    """Build what the first request needs; ``run_request`` (Mangum's handler) serves a liveness probe."""
    from tollway.gateway import default_gateway
    from tollway.providers import registry

    gateway = default_gateway()
    for provider in sorted({deployment.provider for deployment in gateway.config.model_list}):
        registry.load(provider)
    _load_dynamodb_model()
    if run_request is not None:
        run_request(liveness_event())


def after_restore() -> None:
    """Make this environment's state its own: fresh randomness, fresh clients and connection pools."""
    random.seed()
    from tollway import gateway as gateway_module
    from tollway.storage import client

    client.reset_client()
    current = gateway_module._default
    if current is not None:
        current._providers.clear()  # adapters own HTTP pools opened before the snapshot


def register_hooks() -> bool:
    """Register ``after_restore`` with the runtime; False where the runtime has no SnapStart hooks."""
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_after_restore(after_restore)
    return True


def liveness_event() -> dict[str, Any]:
    """A minimal API Gateway REST (v1) proxy event for ``GET /health/liveliness``."""
    return {
        "resource": "/{proxy+}", "path": "/health/liveliness", "httpMethod": "GET",
        "headers": {"host": "prime.local"}, "multiValueHeaders": {"host": ["prime.local"]},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "body": None, "isBase64Encoded": False,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "GET", "path": "/health/liveliness",
                           "stage": "prime", "requestId": "prime", "identity": {"sourceIp": "127.0.0.1"}},
    }


def _load_dynamodb_model() -> None:
    """Import boto3 and load DynamoDB's service model into the default session's cache (no connection)."""
    if not os.environ.get("TOLLWAY_TABLE_IDENTITY"):
        return
    from tollway.storage import client

    client.dynamodb()
    client.reset_client()  # the model stays cached in boto3's default session; the client is rebuilt later
