"""Two gateway instances (separate caches) sharing one store, and no raw key at rest (both backends)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.identity.conftest import MODELS, Admin

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def pair(start_gateway, table_prefix, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_AUTH_CACHE_TTL", "1")
    return start_gateway(MODELS), start_gateway(MODELS)


def eventually(check: Callable[[], bool], *, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _status(gateway, key: str) -> int:  # type: ignore[no-untyped-def]
    try:
        openai.OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0).models.list()
    except openai.APIStatusError as exc:
        return exc.status_code
    return 200


def test_created_and_blocked_through_one_honoured_by_the_other(pair) -> None:  # type: ignore[no-untyped-def]
    one, other = pair
    assert one.app.state.gateway.identity.lookup is not other.app.state.gateway.identity.lookup
    made = Admin(one.url).post("/key/generate", {"key_alias": "shared"})
    assert _status(other, made["key"]) == 200  # created through one, used through the other

    Admin(one.url).post("/key/block", {"key": made["key"]})
    assert _status(one, made["key"]) == 401  # the instance that made the change sees it at once
    assert eventually(lambda: _status(other, made["key"]) == 401)  # the other within its cache TTL

    Admin(other.url).post("/key/unblock", {"key": made["key"]})
    assert eventually(lambda: _status(one, made["key"]) == 200)
    fresh = Admin(other.url).post("/key/regenerate", {"key": made["key"]})
    assert eventually(lambda: _status(one, made["key"]) == 401)
    assert _status(one, fresh["key"]) == 200
    Admin(one.url).post("/key/delete", {"keys": [fresh["key"]]})
    assert eventually(lambda: _status(other, fresh["key"]) == 401)


def test_a_warm_key_costs_no_identity_read(start_gateway, table_prefix, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_AUTH_CACHE_TTL", "60")
    gateway = start_gateway(MODELS)
    made = Admin(gateway.url).post("/key/generate", {"user_id": None})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=made["key"], max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)  # warms the cache

    from tollway.storage import client as storage

    store = storage.store()
    before = store.round_trips.copy()
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    calls = store.round_trips - before
    assert calls["transact"] == 3  # the spend logs: the counting does see these requests
    assert {op: n for op, n in calls.items() if op in ("get", "get_many", "query")} == {}


def test_no_table_holds_a_raw_key(start_gateway, table_prefix) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(MODELS)
    admin = Admin(gateway.url)
    admin.post("/team/new", {"team_id": "scan-team"})
    raw = [admin.post("/key/generate", {"team_id": "scan-team", "key_alias": "scan"})["key"],
           admin.post("/user/new", {"user_id": "scan-user"})["key"]]
    raw.append(admin.post("/key/regenerate", {"key": raw[0]})["key"])
    raw.append(admin.post("/key/generate", {"user_id": "scan-user", "metadata": {"note": "x"}})["key"])
    for key in raw[1:]:
        openai.OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=HI)
    admin.post("/key/update", {"key": raw[-1], "max_budget": 3})
    admin.post("/key/delete", {"keys": [raw[-1]]})

    from tollway.storage import client as storage
    from tollway.storage.tables import AUDIT, IDENTITY

    store = storage.store()
    dump = json.dumps([list(store.scan(IDENTITY)), list(store.scan(AUDIT))], default=str)
    assert "scan-team" in dump and "key.regenerate" in dump  # the scan did see the data
    for key in [*raw, MASTER_KEY]:
        assert key not in dump
        assert key[3:] not in dump  # not even without its prefix
