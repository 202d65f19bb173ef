"""The end-user lookup metering uses: cached per TTL, dropped by this instance's writes, budget fallback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tollway.errors import InvalidRequestError
from tollway.identity.customer_lookup import CustomerLookup, CustomerPolicy
from tollway.metering.budgets import end_user_budget


class CountingRepo:
    def __init__(self, records: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.records = records
        self.reads: list[tuple[str, str]] = []

    def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        self.reads.append((kind, ident))
        return self.records.get((kind, ident))


def test_cached_until_a_write_touches_it() -> None:
    repo = CountingRepo({("customer", "acme"): {"user_id": "acme", "blocked": True},
                         ("customer", "tier"): {"user_id": "tier", "budget_id": "b", "budget_duration": "7d"},
                         ("budget", "b"): {"budget_id": "b", "max_budget": 2.5, "budget_duration": "1d"}})
    lookup = CustomerLookup(repo, ttl=60)  # type: ignore[arg-type]

    async def twice(end_user: str) -> CustomerPolicy | None:
        first = await lookup.policy(end_user)
        assert await lookup.policy(end_user) == first
        return first

    assert asyncio.run(twice("acme")) == CustomerPolicy("acme", blocked=True)
    assert asyncio.run(twice("nobody")) is None
    assert asyncio.run(twice("tier")) == CustomerPolicy("tier", max_budget=2.5, budget_duration="7d")
    assert repo.reads == [("customer", "acme"), ("customer", "nobody"), ("customer", "tier"), ("budget", "b")]

    repo.records[("customer", "acme")] = {"user_id": "acme", "blocked": False, "max_budget": 1}
    lookup.forget_touched({("customer", "acme")})
    assert asyncio.run(lookup.policy("acme")) == CustomerPolicy("acme", max_budget=1)
    repo.records[("budget", "b")]["max_budget"] = 9
    lookup.forget_touched({("budget", "b")})  # every customer may use it
    assert asyncio.run(lookup.policy("tier")) == CustomerPolicy("tier", max_budget=9, budget_duration="7d")


def test_end_user_budget_refuses_blocked_and_falls_back_to_the_default() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        end_user_budget(CustomerPolicy("acme", blocked=True), 5.0)
    assert refused.value.status_code == 400 and refused.value.code == "end_user_blocked"
    assert end_user_budget(None, 5.0) == (5.0, None)
    assert end_user_budget(CustomerPolicy("x"), 5.0) == (5.0, None)
    assert end_user_budget(CustomerPolicy("x", max_budget=1.0, budget_duration="30d"), 5.0) == (1.0, "30d")
