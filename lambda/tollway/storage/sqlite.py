"""The embedded store: one SQLite file under ``--data-dir``, shared safely by several processes.

One table ``items`` holds every logical table's items (``tbl`` is the physical table name, so
``TOLLWAY_TABLE_PREFIX`` namespaces still apply): key columns, the ``gsi1`` index columns, the TTL
column and the rest of the item as exact JSON (``values.dumps``).

Guarantees:

* A write returns only after its transaction committed in WAL mode with ``synchronous=FULL``: the
  WAL is fsynced on every commit, so an acknowledged write survives ``kill -9`` and power loss
  (``NORMAL`` would survive ``kill -9`` but could lose the last commits on power loss).
* Every write and transaction runs inside ``BEGIN IMMEDIATE``: one writer at a time across threads
  and processes, conditions evaluated on the items as they are inside that transaction, so budgets
  and rate limits stay exact with several ``tollway serve`` processes on one data dir. A process's
  concurrent writes share one transaction and one fsync (``sqlite_commit.GroupCommitter``).
* A writer waits up to the busy timeout for the lock; past it, or on a disk error, the call raises
  ``StoreUnavailableError`` (503).
* Items whose TTL attribute is in the past are treated as absent by reads and writes, and a
  background thread deletes them in small batches.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tollway.storage import apply, values
from tollway.storage.backend import Store
from tollway.storage.errors import ConditionFailed, StoreUnavailableError
from tollway.storage.ops import Key, Page, decode_cursor, encode_cursor
from tollway.storage.sqlite_commit import GroupCommitter
from tollway.storage.tables import TABLES, physical_name

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tollway.storage.ops import Item, Query, Transaction, Write
    from tollway.storage.tables import TableSpec

log = logging.getLogger(__name__)

FILENAME = "tollway.db"
BUSY_TIMEOUT_SECONDS = 10.0
PURGE_INTERVAL_SECONDS = 60.0
PURGE_BATCH = 500
_COLUMNS = ("pk", "sk", "gsi1pk", "gsi1sk")
_INSERT = "INSERT OR REPLACE INTO items (tbl, pk, sk, gsi1pk, gsi1sk, expires_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)"
_SELECT = "SELECT pk, sk, gsi1pk, gsi1sk, doc FROM items WHERE tbl = ? AND (expires_at IS NULL OR expires_at > ?)"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS items (tbl TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL, gsi1pk TEXT, "
    "gsi1sk TEXT, expires_at INTEGER, doc TEXT NOT NULL, PRIMARY KEY (tbl, pk, sk)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS items_gsi1 ON items (tbl, gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS items_ttl ON items (expires_at) WHERE expires_at IS NOT NULL",
)


class SQLiteStore(Store):
    """The store in ``data_dir/tollway.db`` (created on first use). One connection per thread."""

    def __init__(self, data_dir: str | os.PathLike[str], *, busy_timeout: float = BUSY_TIMEOUT_SECONDS,
                 purge_interval: float | None = PURGE_INTERVAL_SECONDS) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / FILENAME
        self.description = f"SQLite at {self.path.resolve()}"
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._stopping = threading.Event()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._guard():
            conn = self._conn()
            conn.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                conn.execute(statement)
        self._committer = GroupCommitter(self._conn, wait_seconds=busy_timeout + 30, on_error=_log_failure)
        self._purger: threading.Thread | None = None
        if purge_interval:
            self._purger = threading.Thread(target=self._purge_loop, args=(purge_interval,),
                                            name="tollway-sqlite-purge", daemon=True)
            self._purger.start()

    # ------------------------------------------------------------------ connections

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Map lock timeouts and disk failures to StoreUnavailableError."""
        try:
            yield
        except sqlite3.Error as exc:
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
                raise
            _log_failure(exc)
            raise StoreUnavailableError() from exc

    def close(self) -> None:
        self._stopping.set()
        if self._purger is not None:
            self._purger.join(timeout=5)
        self._committer.stop()
        with self._connections_lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    def ensure_tables(self) -> list[str]:
        return [physical_name(spec) for spec in TABLES]

    # ------------------------------------------------------------------ reads

    def _get(self, table: TableSpec, key: Key) -> Item | None:
        with self._guard():
            return _load(self._conn(), physical_name(table), key, int(time.time()))

    def _get_many(self, table: TableSpec, keys: list[Key]) -> list[Item]:
        now = int(time.time())
        name = physical_name(table)
        with self._guard():
            conn = self._conn()
            conn.execute("BEGIN")
            try:
                found = [_load(conn, name, key, now) for key in dict.fromkeys(keys)]
            finally:
                conn.execute("COMMIT")
        return [item for item in found if item is not None]

    def _query(self, query: Query) -> Page:
        part, sort = query.key_names()
        names = query.cursor_names()
        # column names below come from the table specs, never from callers; values are bound
        sql = [_SELECT, f"AND {part} = ?"]
        args: list[Any] = [physical_name(query.table), int(time.time()), query.partition]
        if query.sk_from is not None:
            sql.append(f"AND {sort} >= ?")
            args.append(query.sk_from)
        if query.sk_to is not None:
            sql.append(f"AND {sort} <= ?")
            args.append(query.sk_to)
        if query.sk_prefix is not None:
            sql.append(f"AND {sort} >= ? AND {sort} < ?")
            args += [query.sk_prefix, query.sk_prefix + "\U0010ffff"]
        for attr, wanted in query.filters.items():
            sql.append("AND json_extract(doc, ?) = ?")
            args += [_json_path(attr), wanted]
        order = [sort] + [n for n in ("pk", "sk") if n != sort and query.index is not None]
        if query.cursor:
            after = decode_cursor(query.cursor, names)
            sql.append(f"AND ({', '.join(order)}) {'<' if query.descending else '>'} "
                       f"({', '.join('?' for _ in order)})")
            args += [after[n] for n in order]
        direction = " DESC" if query.descending else ""
        sql.append("ORDER BY " + ", ".join(n + direction for n in order))
        if query.limit is not None:
            sql.append("LIMIT ?")
            args.append(query.limit + 1)
        with self._guard():
            rows = self._conn().execute(" ".join(sql), args).fetchall()
        more = query.limit is not None and len(rows) > query.limit
        items = [_item(row) for row in (rows[:query.limit] if query.limit is not None else rows)]
        cursor = encode_cursor({n: items[-1][n] for n in names}) if more and items else None
        return Page(items, cursor)

    def scan(self, table: TableSpec) -> Iterator[Item]:
        with self._guard():
            rows = self._conn().execute(_SELECT, (physical_name(table), int(time.time()))).fetchall()
        return iter([_item(row) for row in rows])

    # ------------------------------------------------------------------ writes

    def _write(self, op: Write) -> None:
        self._transact([op])

    def _transact(self, ops: Transaction) -> None:
        keys = [(physical_name(op.table), op.key) for op in ops]
        if len(set(keys)) != len(keys):
            raise ValueError("a transaction may touch each item only once")
        now = int(time.time())

        def work(conn: sqlite3.Connection) -> None:
            old = [_load(conn, name, key, now) for name, key in keys]
            failed = [(i, item) for i, (op, item) in enumerate(zip(ops, old, strict=True))
                      if not apply.all_hold(op, item)]
            if failed:
                raise ConditionFailed(failed)
            for op, (name, key), item in zip(ops, keys, old, strict=True):
                new = apply.updated(op, item)
                if new is None:
                    conn.execute("DELETE FROM items WHERE tbl = ? AND pk = ? AND sk = ?", (name, key.pk, key.sk))
                else:
                    _save(conn, name, op.table, new)

        self._committer.run(work)

    def put_raw(self, table_name: str, spec: TableSpec, items: list[Item]) -> None:
        """Insert or replace items unconditionally in one transaction (the snapshot import, benchmarks)."""

        rows = [_row(table_name, spec, item) for item in items]

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(_INSERT, rows)

        self._committer.run(work)

    # ------------------------------------------------------------------ TTL

    def purge(self, *, now: float | None = None) -> int:
        """Delete up to one batch of expired items per table pass; the number deleted."""
        moment = int(time.time() if now is None else now)

        def work(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM items WHERE (tbl, pk, sk) IN (SELECT tbl, pk, sk FROM items "
                                "WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)",
                                (moment, PURGE_BATCH)).rowcount

        return self._committer.run(work)

    def _purge_loop(self, interval: float) -> None:
        while not self._stopping.wait(interval):
            try:
                while self.purge() == PURGE_BATCH and not self._stopping.is_set():
                    time.sleep(0.05)  # let request writers in between batches
            except StoreUnavailableError:
                continue  # busy or failing: try again next round


def _log_failure(exc: sqlite3.Error) -> None:
    log.warning("embedded store unavailable: %s", exc)


def _json_path(attr: str) -> str:
    return '$."' + attr.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _load(conn: sqlite3.Connection, table: str, key: Key, now: int) -> Item | None:
    row = conn.execute(_SELECT + " AND pk = ? AND sk = ?", (table, now, key.pk, key.sk)).fetchone()
    return _item(row) if row else None


def _item(row: tuple[Any, ...]) -> Item:
    item: Item = {name: value for name, value in zip(_COLUMNS, row[:4], strict=True) if value is not None}
    item.update(values.loads(row[4]))
    return item


def _save(conn: sqlite3.Connection, table: str, spec: TableSpec, item: Item) -> None:
    conn.execute(_INSERT, _row(table, spec, item))


def _row(table: str, spec: TableSpec, item: Item) -> tuple[Any, ...]:
    doc = {k: v for k, v in item.items() if k not in _COLUMNS}
    expires = doc.get(spec.ttl_attribute) if spec.ttl_attribute else None
    return (table, item["pk"], item["sk"], item.get("gsi1pk"), item.get("gsi1sk"),
            int(expires) if isinstance(expires, int | float | Decimal) else None, values.dumps(doc))
