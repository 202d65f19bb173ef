"""The same random operations on SQLite and on DynamoDB (moto) give the same outcomes and the same items;
a DynamoDB endpoint that is down is a 503-class StoreUnavailableError, not a crash."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from tollway.errors import StoreUnavailableError
from tollway.storage.dynamo import DynamoStore, ensure_dynamodb_tables
from tollway.storage.errors import ConditionFailed
from tollway.storage.ops import Cond, Delete, Key, Put, Query, Update
from tollway.storage.sqlite import SQLiteStore
from tollway.storage.tables import COUNTERS, IDENTITY, TABLES

KEYS = [Key(f"P{i % 3}", f"S{i}") for i in range(6)]


def _random_write(rng: random.Random) -> Any:
    key = rng.choice(KEYS)
    when = rng.choice([(), (Cond.exists(),), (Cond.not_exists(),), (Cond.le("n", rng.randint(0, 8), or_absent=True),),
                       (Cond.eq("tag", rng.choice(["a", "b"])),), (Cond.exists("r_x"),)])
    kind = rng.choice(["put", "update", "update", "delete"])
    if kind == "put":
        return Put(COUNTERS, {"pk": key.pk, "sk": key.sk, "n": rng.randint(0, 5), "tag": rng.choice(["a", "b"]),
                              "meta": {"x": [1, Decimal("0.5")]}}, when=when)
    if kind == "delete":
        return Delete(COUNTERS, key, when=when)
    sets = rng.choice([{}, {"tag": rng.choice(["a", "b"])}, {"r_x": {"a": 1}}])
    return Update(COUNTERS, key, add={"n": rng.choice([1, 2, -1]), "c": Decimal("0.001")}, set=sets,
                  remove=() if "r_x" in sets else rng.choice([(), ("r_x",)]), when=when)


def _outcome(store: Any, ops: list[Any]) -> Any:
    try:
        store.transact(ops) if len(ops) > 1 else store.write(ops[0])
    except ConditionFailed as failed:
        return ("failed", failed.indexes[:1], [_canon(item) for _, item in failed.failures[:1]])
    return "ok"


def _canon(item: Any) -> Any:
    if isinstance(item, dict):
        return {k: _canon(v) for k, v in sorted(item.items())}
    if isinstance(item, list):
        return [_canon(v) for v in item]
    if isinstance(item, int | Decimal) and not isinstance(item, bool):
        return Decimal(item).normalize()
    return item


def test_random_operations_agree(_serial_moto_dynamodb: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOLLWAY_TABLE_PREFIX", f"parity{uuid.uuid4().hex[:6]}-")
    client = boto3.client("dynamodb", endpoint_url=_serial_moto_dynamodb, region_name="us-east-1")
    ensure_dynamodb_tables(TABLES, client=client)
    dynamo, sqlite = DynamoStore(client), SQLiteStore(tmp_path, purge_interval=None)
    rng = random.Random(1919)
    outcomes = []
    for _ in range(120):
        ops = [_random_write(rng)]
        if rng.random() < 0.3:  # a transaction over distinct items
            extra = _random_write(rng)
            if extra.key != ops[0].key:
                ops.append(extra)
        a, b = _outcome(dynamo, ops), _outcome(sqlite, ops)
        assert a == b, (ops, a, b)
        outcomes.append(a)
    assert outcomes.count("ok") > 20 and len(outcomes) - outcomes.count("ok") > 20  # both paths exercised
    for part in ("P0", "P1", "P2"):
        got = [_canon(i) for i in dynamo.query(Query(COUNTERS, part)).items]
        assert got == [_canon(i) for i in sqlite.query(Query(COUNTERS, part)).items]
    sqlite.close()


def test_an_unreachable_dynamodb_is_store_unavailable() -> None:
    from botocore.config import Config

    client = boto3.client("dynamodb", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1))
    store = DynamoStore(client)
    with pytest.raises(StoreUnavailableError) as down:
        store.get(IDENTITY, Key("KEY#x", "KEY"))
    assert down.value.status_code == 503 and down.value.headers["retry-after"] == "1"
    with pytest.raises(StoreUnavailableError):
        store.write(Put(IDENTITY, {"pk": "a", "sk": "b"}))
