"""Which store this process uses, created on first use (never at import).

* DynamoDB when ``AWS_ENDPOINT_URL_DYNAMODB`` is set (any endpoint: DynamoDB Local, LocalStack,
  AWS) or the stack named the tables (``TOLLWAY_TABLE_IDENTITY`` on Lambda).
* Otherwise the embedded SQLite store when ``TOLLWAY_DATA_DIR`` is set (``tollway serve`` sets it
  from ``--data-dir``).
* Otherwise none: ``enabled()`` is false and the gateway runs without keys, budgets or spend logs.

The boto3 client and the store are shared by every repository in the process. Calls block:
callers on the request path run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.storage.backend import Store

_lock = threading.Lock()
_client: Any = None
_stores: dict[tuple[str, str], Store] = {}


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None


def data_dir() -> str | None:
    return os.environ.get("TOLLWAY_DATA_DIR") or None


def uses_dynamodb() -> bool:
    return bool(endpoint_url() or os.environ.get("TOLLWAY_TABLE_IDENTITY"))


def enabled() -> bool:
    """Whether a store is configured: DynamoDB (endpoint or stack tables) or the embedded one."""
    return uses_dynamodb() or data_dir() is not None


def store() -> Store:
    """The process's store for the current environment (see the module docstring)."""
    if uses_dynamodb():
        selector = ("dynamodb", endpoint_url() or "aws")
    elif data_dir() is not None:
        selector = ("sqlite", os.path.abspath(data_dir() or ""))
    else:
        raise RuntimeError("no store is configured (set AWS_ENDPOINT_URL_DYNAMODB or TOLLWAY_DATA_DIR)")
    found = _stores.get(selector)
    if found is None:
        with _lock:
            found = _stores.get(selector)
            if found is None:
                found = _make(selector)
                _stores[selector] = found
    return found


def _make(selector: tuple[str, str]) -> Store:
    if selector[0] == "dynamodb":
        from tollway.storage.dynamo import DynamoStore

        return DynamoStore(client_factory=dynamodb)
    from tollway.storage.sqlite import SQLiteStore

    return SQLiteStore(selector[1])


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
    """Forget the client and close the stores (after the environment changed, e.g. in tests)."""
    global _client
    with _lock:
        _client = None
        stores = list(_stores.values())
        _stores.clear()
    for each in stores:
        each.close()


def ensure_tables() -> list[str]:
    """Create whatever the configured store needs (tables on a local DynamoDB endpoint); their names."""
    return store().ensure_tables()
