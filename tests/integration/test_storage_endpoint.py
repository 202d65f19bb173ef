"""Against a DynamoDB endpoint (moto server on loopback): tables created once, named by prefix."""

from __future__ import annotations

from tollway.storage import client
from tollway.storage.tables import TABLES, physical_name


def test_ensure_tables_is_idempotent_and_prefixed(dynamodb_endpoint, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_TABLE_PREFIX", "pfx-test-")
    first = client.ensure_tables()
    second = client.ensure_tables()
    assert first == second == [f"pfx-test-{spec.name}" for spec in TABLES]
    db = client.dynamodb()
    listed = {name for page in db.get_paginator("list_tables").paginate() for name in page["TableNames"]}
    assert set(first) <= listed  # paginated: the session's moto server holds more than one page of tables
    ttl = db.describe_time_to_live(TableName="pfx-test-counters")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    assert client.enabled()


def test_explicit_table_names_win(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_TABLE_IDENTITY", "Stack-IdentityTable-ABC")
    assert physical_name(TABLES[0]) == "Stack-IdentityTable-ABC"
    assert physical_name(TABLES[0], prefix="x-") == "x-identity"
