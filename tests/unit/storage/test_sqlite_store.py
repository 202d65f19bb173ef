"""The SQLite backend alone: TTL expiry and purging, lock timeouts, exact numbers, the snapshot import."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tollway.errors import StoreUnavailableError
from tollway.storage import values
from tollway.storage.errors import ConditionFailed
from tollway.storage.migrate import import_snapshot
from tollway.storage.ops import Cond, Key, Put, Query, Update
from tollway.storage.sqlite import SQLiteStore
from tollway.storage.tables import AUDIT, COUNTERS, IDENTITY, SPEND


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path, purge_interval=None)
    yield store
    store.close()


def test_expired_items_are_absent_for_reads_and_writes_then_purged(db: SQLiteStore) -> None:
    past, future = int(time.time()) - 10, int(time.time()) + 3600
    db.write(Put(SPEND, {"pk": "log#d", "sk": "1", "expires_at": past, "cost": 1}))
    db.write(Put(SPEND, {"pk": "log#d", "sk": "2", "expires_at": future, "cost": 2}))
    db.write(Put(SPEND, {"pk": "log#d", "sk": "3", "cost": 3}))
    assert db.get(SPEND, Key("log#d", "1")) is None
    assert [i["sk"] for i in db.query(Query(SPEND, "log#d")).items] == ["2", "3"]
    assert [i["sk"] for i in db.scan(SPEND)] == ["2", "3"]
    # a write sees the expired item as gone: the counter starts again from nothing
    db.write(Update(COUNTERS, Key("rate#k", "rpm#1"), add={"n": 5}, set={"expires_at": past}))
    db.write(Update(COUNTERS, Key("rate#k", "rpm#1"), add={"n": 1}, set={"expires_at": future},
                    when=(Cond.le("n", 0, or_absent=True),)))
    assert db.get(COUNTERS, Key("rate#k", "rpm#1")) == {"pk": "rate#k", "sk": "rpm#1", "n": 1, "expires_at": future}
    assert db.purge() == 1  # the expired log (the counter was replaced)
    assert db.purge(now=future + 1) == 2
    raw = sqlite3.connect(db.path).execute("SELECT count(*) FROM items").fetchone()[0]
    assert raw == 1  # only the log without TTL is left


def test_a_lock_held_past_the_busy_timeout_is_store_unavailable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path, busy_timeout=0.2, purge_interval=None)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError) as unavailable:
            store.write(Put(IDENTITY, {"pk": "a", "sk": "b"}))
        assert unavailable.value.status_code == 503
        assert store.get(IDENTITY, Key("a", "b")) is None  # readers are not blocked by a writer (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store.write(Put(IDENTITY, {"pk": "a", "sk": "b"}))
    assert store.get(IDENTITY, Key("a", "b")) is not None
    store.close()


def test_concurrent_conditional_adds_across_connections_are_exact(tmp_path: Path) -> None:
    stores = [SQLiteStore(tmp_path, purge_interval=None) for _ in range(2)]  # as two processes would
    admitted: list[int] = []

    def worker(store: SQLiteStore) -> None:
        for _ in range(25):
            try:
                store.write(Update(COUNTERS, Key("budget#k", "all"), add={"committed": Decimal("0.01")},
                                   when=(Cond.le("committed", Decimal("0.29"), or_absent=True),)))
                admitted.append(1)
            except ConditionFailed:
                pass

    threads = [threading.Thread(target=worker, args=(stores[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    item = stores[0].get(COUNTERS, Key("budget#k", "all"))
    assert item is not None and item["committed"] == Decimal("0.30") and len(admitted) == 30
    for store in stores:
        store.close()


def test_numbers_are_exact_in_the_stored_json() -> None:
    text = values.dumps({"a": Decimal("0.1") + Decimal("0.2"), "b": 0.1, "c": 10**30, "d": [True, None]})
    assert text == '{"a":0.3,"b":0.1,"c":1000000000000000000000000000000,"d":[true,null]}'
    assert values.loads(text) == {"a": Decimal("0.3"), "b": Decimal("0.1"), "c": 10**30, "d": [True, None]}
    with pytest.raises(ValueError):
        values.dumps({"x": float("nan")})
    assert values.plain({"x": Decimal("2.5"), "y": [Decimal("3")]}) == {"x": 2.5, "y": [3]}


def test_the_old_snapshot_is_imported_once_and_renamed(tmp_path: Path) -> None:
    snapshot = {"version": 1, "tables": {
        "tollway-identity": {"schema": {}, "ttl": None, "items": [
            {"pk": {"S": "KEY#abc"}, "sk": {"S": "KEY"}, "gsi1pk": {"S": "KIND#key"}, "gsi1sk": {"S": "t#abc"},
             "metadata": {"M": {"": {"N": "1"}}}, "max_budget": {"N": "2.5"}, "models": {"L": [{"S": "m"}]}}]},
        "tollway-audit": {"schema": {}, "ttl": "expires_at", "items": [
            {"pk": {"S": "LOG"}, "sk": {"S": "2026#1"}, "expires_at": {"N": str(int(time.time()) + 60)}}]},
        "someone-elses": {"items": [{"pk": {"S": "x"}, "sk": {"S": "y"}}]},
    }}
    (tmp_path / "dynamodb.json").write_text(json.dumps(snapshot))
    store = SQLiteStore(tmp_path, purge_interval=None)
    assert import_snapshot(store) == 2
    assert not (tmp_path / "dynamodb.json").exists() and (tmp_path / "dynamodb.json.imported").exists()
    key = store.get(IDENTITY, Key("KEY#abc", "KEY"))
    assert key is not None and key["metadata"] == {"": 1} and key["max_budget"] == Decimal("2.5")
    assert [i["pk"] for i in store.query(Query(IDENTITY, "KIND#key", index="gsi1")).items] == ["KEY#abc"]
    assert len(list(store.scan(AUDIT))) == 1
    assert import_snapshot(store) is None  # once
    store.close()


def test_one_batch_commits_the_good_writes_and_fails_only_the_bad_ones(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path, purge_interval=None)
    store.write(Put(IDENTITY, {"pk": "taken", "sk": "x"}))
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # writers queue up behind this lock: they commit as one batch
    outcomes: dict[str, str] = {}

    def write(name: str, op: Put) -> None:
        try:
            store.write(op)
            outcomes[name] = "ok"
        except ConditionFailed:
            outcomes[name] = "condition"
        except TypeError:
            outcomes[name] = "type"

    ops = {f"good{i}": Put(IDENTITY, {"pk": f"good{i}", "sk": "x"}, when=(Cond.not_exists(),)) for i in range(4)}
    ops["dup"] = Put(IDENTITY, {"pk": "taken", "sk": "x", "v": 1}, when=(Cond.not_exists(),))
    ops["bad"] = Put(IDENTITY, {"pk": "bad", "sk": "x", "v": object()})
    threads = [threading.Thread(target=write, args=item) for item in ops.items()]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    assert outcomes == {}  # nothing acknowledged while the batch could not commit
    holder.execute("ROLLBACK")
    holder.close()
    for thread in threads:
        thread.join(timeout=20)
    assert outcomes == {**{f"good{i}": "ok" for i in range(4)}, "dup": "condition", "bad": "type"}
    assert {i["pk"] for i in store.scan(IDENTITY)} == {"taken", "good0", "good1", "good2", "good3"}
    assert store.get(IDENTITY, Key("taken", "x")) == {"pk": "taken", "sk": "x"}
    store.close()


def test_an_update_names_each_attribute_once() -> None:
    with pytest.raises(ValueError):
        Update(COUNTERS, Key("a", "b"), set={"r_x": 1}, remove=("r_x",))
