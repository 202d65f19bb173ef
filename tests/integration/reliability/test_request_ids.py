"""A client's ``x-request-id`` is echoed and logged, never a reservation's name: requests that
share one (or ids that sanitise alike, or share an 80-character prefix) leak no slot or budget."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.integration.metering.conftest import CALL_COST, MOCK_MODEL, chat_body
from tests.integration.reliability.support import assert_nothing_open, counters, metered_key, with_keys

PREFIX = "p" * 80
COLLIDING_IDS = {
    "same": ["same-id"] * 6,
    "sanitised alike": ["a.b", "a:b", "a_b", "a-b".replace("-", "."), "a:b", "a.b"],
    "shared 80-char prefix": [PREFIX + suffix for suffix in ("1", "2", "3", "4", "5", "6")],
}


async def _fire(url: str, ids: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return list(await asyncio.gather(*[
            client.post("/v1/chat/completions", json=chat_body(), headers={
                "authorization": "Bearer sk-coll", "x-request-id": request_id}) for request_id in ids]))


@pytest.mark.parametrize("kind", sorted(COLLIDING_IDS))
def test_colliding_request_ids_leak_no_slot_and_no_budget(store_backend, start_gateway, uid, kind: str) -> None:  # type: ignore[no-untyped-def]
    ids = COLLIDING_IDS[kind]
    gw = with_keys(start_gateway({"model_list": [MOCK_MODEL]}), {"sk-coll": metered_key(uid, budget=10, parallel=20)})
    for _ in range(2):
        responses = asyncio.run(_fire(gw.url, ids))
        assert [r.status_code for r in responses] == [200] * len(ids)
        assert [r.headers["x-request-id"] for r in responses] == ids  # echoed as sent
    state = counters(uid)
    assert_nothing_open(state)
    for scope in ("key", "team"):
        assert float(state[f"{scope}_spent"]) == pytest.approx(2 * len(ids) * CALL_COST)


def test_a_parallel_limit_is_not_shrunk_by_reused_ids(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    """With max_parallel_requests=2, rounds of two same-id requests keep being admitted."""
    gw = with_keys(start_gateway({"model_list": [MOCK_MODEL]}), {"sk-coll": metered_key(uid, parallel=2)})
    statuses: list[Any] = []
    for _ in range(5):
        statuses += [r.status_code for r in asyncio.run(_fire(gw.url, ["dup", "dup"]))]
    assert statuses == [200] * 10
    assert_nothing_open(counters(uid))


def test_a_retried_reservation_write_is_applied_once(store_backend, uid) -> None:  # type: ignore[no-untyped-def]
    """botocore retries a write whose answer timed out; the store may have applied the first try.
    The retry must not reserve again (that leaked a slot and a reservation for good)."""
    from decimal import Decimal

    from tollway.storage.client import ensure_tables
    from tollway.storage.counters_repo import CountersRepo, Lease
    from tollway.storage.ops import Key

    ensure_tables()
    repo = CountersRepo()
    budget = Lease("budget", "key", f"k-{uid}", "all", Decimal("0.5"), Decimal(10), "key budget")
    slot = Lease("parallel", "key", f"k-{uid}", "parallel", Decimal(1), Decimal(5), "key parallel")
    for leases in ([budget, slot], [budget]):  # a transaction, and a single UpdateItem
        repo.reserve(leases, f"rsv-{len(leases)}", lease_seconds=60)
        repo.reserve(leases, f"rsv-{len(leases)}", lease_seconds=60)  # the retry
    state = repo.budget("key", f"k-{uid}", "all")
    assert state["committed"] == Decimal("1.0") and state["reservations"] == 2
    repo.settle([budget, slot], "rsv-2", {}, [])
    repo.settle([budget], "rsv-1", {}, [])
    state = repo.budget("key", f"k-{uid}", "all")
    assert state["committed"] == 0 and state["reservations"] == 0
    item = repo.counter(Key(f"rate#key#k-{uid}", "parallel"))
    assert item is not None and item["n"] == 0
