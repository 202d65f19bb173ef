"""Attribute-value round trips, audit cursors and the CLI's table rendering."""

from __future__ import annotations

import pytest

from tollway.cli.admin_http import record, table
from tollway.errors import InvalidRequestError
from tollway.storage import identity_repo as repo


def test_attribute_values_round_trip() -> None:
    record_in = {"a": 1, "b": 2.5, "c": None, "d": True, "e": "x", "f": ["y", 3], "g": {"h": {"i": 0.1}}, "j": []}
    assert repo.from_item(repo.to_item(record_in)) == record_in
    assert repo.from_item({**repo.to_item({"x": 1}), "pk": {"S": "K"}, "gsi1pk": {"S": "G"}}) == {"x": 1}
    with pytest.raises(InvalidRequestError):
        repo.to_item({"x": object()})


def test_cursor_round_trip_and_rejection() -> None:
    key = {"pk": {"S": "LOG"}, "sk": {"S": "2026#1"}}
    assert repo._decode_cursor(repo._encode_cursor(key)) == key
    for bad in ("!!!", "e30", repo._encode_cursor({"pk": {"N": "1"}})):  # type: ignore[dict-item]
        with pytest.raises(InvalidRequestError):
            repo._decode_cursor(bad)


def test_table_and_record_rendering() -> None:
    text = table([{"token": "abc", "models": ["a", "b"], "blocked": False}, {"token": "d", "models": None}],
                 ["token", "models", "blocked"])
    lines = text.splitlines()
    assert lines[0].split() == ["TOKEN", "MODELS", "BLOCKED"]
    assert lines[1].split() == ["abc", "a,b", "False"] and lines[2].split() == ["d"]
    assert record({"user_id": "u", "models": [], "max_budget": 3}) == "user_id     u\nmax_budget  3"
