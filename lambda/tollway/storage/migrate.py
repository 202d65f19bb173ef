"""One-time import of the old embedded store's snapshot (``<data dir>/dynamodb.json``).

Before SQLite, ``tollway serve`` kept moto's tables in that JSON file (DynamoDB attribute values,
one entry per physical table). On the first start with SQLite its items are copied into the new
store in one transaction and the file is renamed ``dynamodb.json.imported``, so it happens once.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tollway.storage.dynamo import from_item
from tollway.storage.tables import TABLES

if TYPE_CHECKING:
    from tollway.storage.sqlite import SQLiteStore

log = logging.getLogger(__name__)

SNAPSHOT = "dynamodb.json"


def import_snapshot(store: SQLiteStore) -> int | None:
    """Import the snapshot if there is one; the number of items imported (None: nothing to do)."""
    path = Path(store.data_dir) / SNAPSHOT
    if not path.exists():
        return None
    try:
        snapshot = json.loads(path.read_text())
        tables = snapshot["tables"]
    except (ValueError, KeyError, TypeError):
        log.error("tollway: %s is unreadable; not imported (left in place)", path)
        return None
    count = 0
    for name, table in tables.items():
        spec = next((s for s in TABLES if name.endswith(s.name)), None)
        if spec is None:
            log.warning("tollway: snapshot table %s is not one of Tollway's; skipped", name)
            continue
        items = [from_item(item) for item in table.get("items", []) if "pk" in item and "sk" in item]
        store.put_raw(name, spec, items)
        count += len(items)
    os.replace(path, path.with_name(SNAPSHOT + ".imported"))
    log.info("imported %d items from %s into %s", count, path, store.path)
    return count
