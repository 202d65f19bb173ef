"""moto's DynamoDB server with O(1) transactions and keep-alive, as the benchmarks' DynamoDB stand-in.

Stock moto deep-copies every table a ``TransactWriteItems`` touches, to roll back on failure.
Tollway settles each request with one transaction that also appends a spend-log item, so
the copied table grows by one item per request and every transaction gets slower: under
load the stand-in, not the gateway, would set the pace. Here the whole-table copy is
skipped and, instead, only the items the transaction names are snapshotted and put back if
it fails, which keeps the all-or-nothing outcome Tollway relies on. moto's backends are
not thread-safe either (concurrent transactions on one counter item fail with a
``RuntimeError`` cancellation reason that real DynamoDB never gives), so requests are
served one at a time, as the GIL would mostly serialise them anyway.

Run: ``python bench/moto_fast.py -H 127.0.0.1 -p 5000``.
"""

from __future__ import annotations

import copy
import threading
from typing import Any


def install() -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class _NoTableCopy:
        """Stands in for the ``copy`` module inside moto.dynamodb.models: tables are not copied."""

        def deepcopy(self, obj: Any, memo: Any = None) -> Any:
            return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

    models.copy = _NoTableCopy()  # type: ignore[assignment,attr-defined]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not key or table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = (DynamoType(key[table.range_key_attr])
                         if table.range_key_attr and table.range_key_attr in key else None)
            if table.has_range_key and range_key is None:
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    if item is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = item
                else:
                    bucket = table.items[hash_key]
                    if item is None:
                        bucket.pop(range_key, None)
                    else:
                        bucket[range_key] = item
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lock = threading.Lock()
    dispatch = DomainDispatcherApplication.__call__

    def serialised(self: Any, environ: Any, start_response: Any) -> Any:
        with lock:
            return list(dispatch(self, environ, start_response))

    DomainDispatcherApplication.__call__ = serialised  # type: ignore[method-assign]


def main() -> None:
    """Serve moto's app under uvicorn: werkzeug's server closes every connection ("Connection: close"),
    which would add a TCP handshake to each call, where DynamoDB's HTTPS endpoint keeps connections alive."""
    import argparse
    import os

    import uvicorn

    parser = argparse.ArgumentParser(description="moto DynamoDB with O(1) transactions and keep-alive")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    install()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    uvicorn.run(app, host=args.host, port=args.port, interface="wsgi", log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
