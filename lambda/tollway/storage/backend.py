"""The storage interface both backends implement (``DynamoStore``, ``SQLiteStore``).

Every method blocks; async code calls them through ``asyncio.to_thread``. Each public call is one
request to the store (counted in ``round_trips`` by operation, for tests and benchmarks; a DynamoDB
query or batch read that pages makes more than one HTTP call). Reads are strongly consistent and
never return an item whose TTL attribute is in the past. For writes, the SQLite backend treats such
an item as absent; DynamoDB sees it until its TTL sweep deletes it, which the repositories' keys
make irrelevant (an expired counter window or period is never written again).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tollway.storage.ops import Item, Key, Page, Query, Transaction, Write
    from tollway.storage.tables import TableSpec


class Store(ABC):
    #: short human description ("DynamoDB at http://...", "SQLite at /path/tollway.db")
    description: str = ""

    def __init__(self) -> None:
        self.round_trips: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def _count(self, operation: str) -> None:
        with self._count_lock:
            self.round_trips[operation] += 1

    def get(self, table: TableSpec, key: Key) -> Item | None:
        """The item, or None."""
        self._count("get")
        return self._get(table, key)

    def get_many(self, table: TableSpec, keys: list[Key]) -> list[Item]:
        """The items that exist among ``keys`` (in no particular order)."""
        self._count("get_many")
        return self._get_many(table, keys) if keys else []

    def write(self, op: Write) -> None:
        """One conditional write; raises ConditionFailed([(0, old item)])."""
        self._count("write")
        self._write(op)

    def transact(self, ops: Transaction) -> None:
        """All writes or none (each item at most once, at most 100); raises ConditionFailed naming
        the failed writes, or TransactionConflict."""
        self._count("transact")
        if len(ops) == 1:
            self._write(ops[0])
        elif ops:
            self._transact(ops)

    def query(self, query: Query) -> Page:
        """One page of a partition in sort-key order (``Page.cursor`` None when it is the last)."""
        self._count("query")
        return self._query(query)

    @abstractmethod
    def _get(self, table: TableSpec, key: Key) -> Item | None: ...

    @abstractmethod
    def _get_many(self, table: TableSpec, keys: list[Key]) -> list[Item]: ...

    @abstractmethod
    def _write(self, op: Write) -> None: ...

    @abstractmethod
    def _transact(self, ops: Transaction) -> None: ...

    @abstractmethod
    def _query(self, query: Query) -> Page: ...

    @abstractmethod
    def scan(self, table: TableSpec) -> Iterator[Item]:
        """Every item of a table (maintenance, migration and tests; not on the request path)."""

    @abstractmethod
    def ensure_tables(self) -> list[str]:
        """Create what the store needs if missing; the physical table names."""

    def close(self) -> None:  # noqa: B027 - optional: only stores holding resources override it
        """Release connections and background work."""
