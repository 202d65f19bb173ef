"""Attribute-value round trips, audit cursors and the CLI's table rendering."""

from __future__ import annotations

import pytest

from tollway.cli.admin_http import record, table
from tollway.storage import identity_repo as repo
from tollway.storage.dynamo import from_item, to_item
from tollway.storage.errors import InvalidCursor
from tollway.storage.ops import decode_cursor, encode_cursor


def test_attribute_values_round_trip() -> None:
    record_in = {"a": 1, "b": 2.5, "c": None, "d": True, "e": "x", "f": ["y", 3], "g": {"h": {"i": 0.1}}, "j": []}
    assert repo.from_item(from_item(to_item(record_in))) == record_in
    assert repo.from_item({"x": 1, "pk": "K", "gsi1pk": "G"}) == {"x": 1}
    with pytest.raises(TypeError):
        to_item({"x": object()})


def test_cursor_round_trip_and_rejection() -> None:
    key = {"pk": "LOG", "sk": "2026#1"}
    assert decode_cursor(encode_cursor(key), ("pk", "sk")) == key
    for bad in ("!!!", "e30", encode_cursor({"pk": "LOG"}), encode_cursor({"pk": "LOG", "sk": 1})):  # type: ignore[dict-item]
        with pytest.raises(InvalidCursor):
            decode_cursor(bad, ("pk", "sk"))


def test_table_and_record_rendering() -> None:
    text = table([{"token": "abc", "models": ["a", "b"], "blocked": False}, {"token": "d", "models": None}],
                 ["token", "models", "blocked"])
    lines = text.splitlines()
    assert lines[0].split() == ["TOKEN", "MODELS", "BLOCKED"]
    assert lines[1].split() == ["abc", "a,b", "False"] and lines[2].split() == ["d"]
    assert record({"user_id": "u", "models": [], "max_budget": 3}) == "user_id     u\nmax_budget  3"
