"""The DynamoDB client and table bootstrap.

The client is created on first use (never at import), honours ``AWS_ENDPOINT_URL_DYNAMODB``
and is shared by every repository in the process. Its calls block: callers on the request
path run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from tollway.storage.tables import TABLES, TableSpec, create_table_request, physical_name

if TYPE_CHECKING:
    from collections.abc import Iterable

_lock = threading.Lock()
_client: Any = None


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None


def enabled() -> bool:
    """Whether a DynamoDB store is configured: an explicit endpoint, or tables named by the stack on AWS."""
    return bool(endpoint_url() or os.environ.get("TOLLWAY_TABLE_IDENTITY"))


def dynamodb() -> Any:
    """The process's boto3 DynamoDB client (lazily created, thread-safe)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                import boto3
                from botocore.config import Config

                _client = boto3.client(
                    "dynamodb",
                    endpoint_url=endpoint_url(),
                    region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
                    config=Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=64,
                                  connect_timeout=2, read_timeout=5),
                )
    return _client


def reset_client() -> None:
    """Forget the client (after the endpoint changed, e.g. in tests)."""
    global _client
    with _lock:
        _client = None


def ensure_tables(specs: Iterable[TableSpec] = TABLES, *, prefix: str | None = None) -> list[str]:
    """Create any missing table (on-demand, with TTL) and return all their names.

    Meant for local and test endpoints; on AWS the tables come from the CDK stack.
    """
    client = dynamodb()
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    names = []
    for spec in specs:
        name = physical_name(spec, prefix)
        names.append(name)
        if name in existing:
            continue
        try:
            client.create_table(**create_table_request(spec, name))
        except client.exceptions.ResourceInUseException:
            continue  # another process created it meanwhile
        if spec.ttl_attribute:
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
    return names
