"""Repository for stored Responses API responses (the RESPONSES table): the only code that knows its keys.

A record is one JSON document (the Response object, its input items and the conversation before
it), compressed and split into parts that each fit a DynamoDB item:

* ``pk`` ``RESP#<response id>``, ``sk`` ``PART#<nnn>``: ``data`` (a slice of the base64 of the
  zlib-compressed JSON), ``parts`` (how many), ``expires_at`` (TTL, epoch seconds).

All parts are written in one transaction and read with one query, so a record is never seen
half-written and a conversation of any length is one read to continue.
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from typing import TYPE_CHECKING, Any

from tollway.storage.client import store as default_store
from tollway.storage.ops import Delete, Key, Put, Query
from tollway.storage.tables import RESPONSES

if TYPE_CHECKING:
    from tollway.storage.backend import Store

#: characters of encoded record per item (DynamoDB items are at most 400 KB)
PART_CHARS = 300_000
#: parts per record: one transaction holds at most 100 writes
MAX_PARTS = 100


class RecordTooLarge(ValueError):
    """A record whose compressed form needs more than ``MAX_PARTS`` items."""


class ResponsesRepo:
    def __init__(self, store: Store | None = None, *, max_parts: int = MAX_PARTS) -> None:
        self._store = store
        self.max_parts = min(max_parts, MAX_PARTS)

    @property
    def store(self) -> Store:
        return self._store or default_store()

    def put(self, record: dict[str, Any]) -> None:
        """Store (or replace) ``record``; it expires at ``record["expires_at"]``."""
        blob = zlib.compress(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode(), 6)
        text = base64.b64encode(blob).decode()
        parts = [text[i:i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
        if len(parts) > self.max_parts:
            raise RecordTooLarge(f"the response needs {len(parts)} parts (at most {self.max_parts})")
        pk = _pk(record["id"])
        self.store.transact([
            Put(RESPONSES, {"pk": pk, "sk": f"PART#{n:03d}", "data": part, "parts": len(parts),
                            "expires_at": int(record["expires_at"])})
            for n, part in enumerate(parts)
        ])

    def get(self, response_id: str) -> dict[str, Any] | None:
        """The record, or None when it does not exist, expired or is incomplete."""
        items = self._parts(response_id)
        if not items or len(items) != int(items[0].get("parts", 0)):
            return None
        if any(int(item.get("expires_at", 0)) <= time.time() for item in items):
            return None
        text = "".join(str(item["data"]) for item in sorted(items, key=lambda item: str(item["sk"])))
        record: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(text)))
        return record

    def delete(self, response_id: str) -> None:
        keys = [Key(str(item["pk"]), str(item["sk"])) for item in self._parts(response_id)]
        if keys:
            self.store.transact([Delete(RESPONSES, key) for key in keys])

    def _parts(self, response_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PARTS + 1):  # bounded: each page holds at least one part
            page = self.store.query(Query(RESPONSES, partition=_pk(response_id), cursor=cursor))
            items += page.items
            cursor = page.cursor
            if cursor is None:
                break
        return items


def _pk(response_id: str) -> str:
    return f"RESP#{response_id}"
