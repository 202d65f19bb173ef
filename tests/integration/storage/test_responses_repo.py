"""The responses repository on both backends: multi-part records, expiry, delete."""

from __future__ import annotations

import secrets
import time

import pytest

from tollway.storage.responses_repo import PART_CHARS, RecordTooLarge, ResponsesRepo


@pytest.fixture
def repo(store_backend: str) -> ResponsesRepo:
    return ResponsesRepo()


def _record(response_id: str, *, text: str = "hello", ttl: float = 3600) -> dict:
    return {"id": response_id, "owner": "key:abc", "expires_at": int(time.time() + ttl),
            "response": {"id": response_id, "output": [{"type": "message", "content": [{"text": text}]}]},
            "history": [{"role": "user", "content": "é ✓ \u2028"}]}


def test_round_trip_of_a_record_larger_than_one_item(repo: ResponsesRepo) -> None:
    noise = secrets.token_hex(PART_CHARS)  # incompressible: several parts
    record = _record("resp_big", text=noise)
    repo.put(record)
    assert repo.get("resp_big") == record
    assert len(repo._parts("resp_big")) > 1


def test_expired_and_deleted_records_are_gone(repo: ResponsesRepo) -> None:
    repo.put(_record("resp_old", ttl=-5))
    assert repo.get("resp_old") is None
    repo.put(_record("resp_del"))
    assert repo.get("resp_del") is not None
    repo.delete("resp_del")
    assert repo.get("resp_del") is None and repo._parts("resp_del") == []
    assert repo.get("resp_never") is None
    repo.delete("resp_never")  # nothing to delete is not an error


def test_a_record_beyond_the_part_limit_is_refused_whole(store_backend: str) -> None:
    small = ResponsesRepo(max_parts=2)
    with pytest.raises(RecordTooLarge):
        small.put(_record("resp_huge", text=secrets.token_hex(PART_CHARS * 2)))
    assert small._parts("resp_huge") == []
