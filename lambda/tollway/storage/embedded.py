"""The embedded DynamoDB-compatible store for ``tollway serve`` without AWS.

It runs moto's DynamoDB implementation on a loopback port inside the process and keeps
a snapshot of every table under ``data_dir``: written (atomically) within a second of any
write and on stop, and loaded on start, so data survives a restart. Any DynamoDB client
(boto3, the AWS CLI, another process) can use its endpoint.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

SNAPSHOT = "dynamodb.json"
_WRITES = frozenset({
    "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "CreateTable", "DeleteTable",
    "UpdateTable", "UpdateTimeToLive", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
})


class EmbeddedStore:
    """Start with ``start()``; ``endpoint_url`` is then the DynamoDB endpoint to use."""

    def __init__(self, data_dir: str | os.PathLike[str], *, flush_interval: float = 1.0) -> None:
        self.data_dir = Path(data_dir)
        self.flush_interval = flush_interval
        self.endpoint_url = ""
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._flush_lock = threading.Lock()  # one snapshot at a time, so an older one never lands last
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self._client: Any = None
        self._flusher: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        _ensure_fake_credentials()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access lines
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = _WriteTracker(DomainDispatcherApplication(create_backend_app), self._dirty.set)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        self._spawn(self._server.serve_forever, "tollway-embedded-dynamodb")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._restore()
        self._dirty.clear()
        self._flusher = self._spawn(self._flush_loop, "tollway-embedded-flush")
        return self.endpoint_url

    def stop(self) -> None:
        self._stopping.set()
        if self._flusher is not None:
            self._flusher.join(timeout=30)  # let a snapshot in progress finish first
        self.flush()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> EmbeddedStore:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ persistence

    @property
    def snapshot_path(self) -> Path:
        return self.data_dir / SNAPSHOT

    def flush(self) -> None:
        """Write the snapshot now (if anything changed since the last one)."""
        with self._flush_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._dirty.is_set() or not self.endpoint_url:
            return
        self._dirty.clear()
        client = self._boto()
        tables: dict[str, Any] = {}
        for name in _all_tables(client):
            description = client.describe_table(TableName=name)["Table"]
            items: list[dict[str, Any]] = []
            for page in client.get_paginator("scan").paginate(TableName=name):
                items.extend(page["Items"])
            tables[name] = {"schema": _schema(description), "ttl": _ttl(client, name), "items": items}
        tmp = self.snapshot_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": 1, "tables": tables}))
        os.replace(tmp, self.snapshot_path)

    def _restore(self) -> None:
        if not self.snapshot_path.exists():
            return
        try:
            snapshot = json.loads(self.snapshot_path.read_text())
        except ValueError:
            log.error("embedded store snapshot %s is unreadable; starting empty", self.snapshot_path)
            return
        client = self._boto()
        existing = set(_all_tables(client))
        for name, table in snapshot.get("tables", {}).items():
            if name not in existing:
                client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **table["schema"])
                if table.get("ttl"):
                    client.update_time_to_live(
                        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table["ttl"]}
                    )
            items = table.get("items", [])
            for start in range(0, len(items), 25):
                batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
                pending: dict[str, Any] = {name: batch}
                while pending:
                    pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def _flush_loop(self) -> None:
        while not self._stopping.wait(self.flush_interval):
            try:
                self.flush()
            except Exception:
                log.exception("embedded store snapshot failed")
                self._dirty.set()

    # ------------------------------------------------------------------ helpers

    def _spawn(self, target: Callable[[], None], name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def _boto(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb", endpoint_url=self.endpoint_url, region_name=_region())
        return self._client


class _WriteTracker:
    """WSGI middleware that applies DynamoDB writes one at a time and reports them.

    DynamoDB applies writes to an item one after another, so a conditional write always sees the
    previous one; moto's threaded server does not (two conditional updates can interleave and
    both succeed). Serialising writes keeps budgets and rate limits exact in local mode too.
    """

    def __init__(self, app: Any, on_write: Callable[[], None]) -> None:
        self.app = app
        self.on_write = on_write
        self._writes = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.rpartition(".")[2] in _WRITES:
            with self._writes:
                try:
                    return list(self.app(environ, start_response))
                finally:
                    self.on_write()
        return self.app(environ, start_response)  # type: ignore[no-any-return]


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _ensure_fake_credentials() -> None:
    """The embedded store accepts any credentials; make sure boto3 finds some offline."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if not os.environ.get("AWS_ACCESS_KEY_ID") and not os.environ.get("AWS_PROFILE"):
        os.environ["AWS_ACCESS_KEY_ID"] = "tollway-local"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "tollway-local"  # noqa: S105 - not a secret, a placeholder


def _all_tables(client: Any) -> list[str]:
    names: list[str] = []
    for page in client.get_paginator("list_tables").paginate():
        names.extend(page["TableNames"])
    return names


def _schema(description: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "KeySchema": description["KeySchema"],
        "AttributeDefinitions": description["AttributeDefinitions"],
    }
    if description.get("GlobalSecondaryIndexes"):
        schema["GlobalSecondaryIndexes"] = [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in description["GlobalSecondaryIndexes"]
        ]
    return schema


def _ttl(client: Any, name: str) -> str | None:
    ttl = client.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
    return ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
