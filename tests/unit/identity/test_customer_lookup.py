"""The end-user lookup metering uses: cached per TTL, dropped by this instance's writes, budget fallback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tollway.auth.context import AuthContext, Limits
from tollway.errors import InvalidRequestError
from tollway.identity.customer_lookup import CustomerLookup, CustomerPolicy
from tollway.metering.budgets import budget_leases, with_customer
from tollway.metering.ratelimits import rate_leases


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
    assert asyncio.run(twice("tier")) == CustomerPolicy("tier", max_budget=2.5, budget_duration="7d")  # its own
    assert repo.reads == [("customer", "acme"), ("customer", "nobody"), ("customer", "tier"), ("budget", "b")]

    repo.records[("customer", "acme")] = {"user_id": "acme", "blocked": False, "max_budget": 1}
    lookup.forget_touched({("customer", "acme")})
    assert asyncio.run(lookup.policy("acme")) == CustomerPolicy("acme", max_budget=1)
    repo.records[("budget", "b")]["max_budget"] = 9
    lookup.forget_touched({("budget", "b")})  # every customer may use it
    assert asyncio.run(lookup.policy("tier")) == CustomerPolicy("tier", max_budget=9, budget_duration="7d")


def test_a_customer_is_one_more_level_of_the_caller() -> None:
    caller = AuthContext(kind="virtual_key", key_digest="k", limits=(Limits(scope="key", scope_id="k", max_budget=9),))
    with pytest.raises(InvalidRequestError) as refused:
        with_customer(caller, CustomerPolicy("acme", blocked=True), 5.0)
    assert refused.value.status_code == 400 and refused.value.code == "end_user_blocked"
    assert with_customer(caller, None, 5.0) is caller  # no record: max_end_user_budget applies as before
    assert with_customer(caller, CustomerPolicy("x"), 5.0) is caller
    limited = with_customer(caller, CustomerPolicy("x", max_budget=1.0, budget_duration="30d", rpm_limit=3), 5.0)
    assert limited.limits == (*caller.limits, Limits(scope="end_user", scope_id="x", max_budget=1.0,
                                                      budget_duration="30d", rpm_limit=3))
    rate_only = with_customer(caller, CustomerPolicy("y", tpm_limit=100), 5.0)
    assert rate_only.limits[-1] == Limits(scope="end_user", scope_id="y", max_budget=5.0, tpm_limit=100)

    leases = budget_leases(limited, end_user="x", providers=[], amount=0.5, provider_budgets={},
                           end_user_budget=5.0, now=0)
    assert [(lease.scope, lease.scope_id, float(lease.limit or 0)) for lease in leases] == [
        ("key", "k", 9.0), ("end_user", "x", 1.0)]  # the customer's budget, not the default
    assert {(lease.scope, lease.scope_id) for lease in rate_leases(limited, end_user="x", tokens=10, now=0)} == {
        ("end_user", "x")}
