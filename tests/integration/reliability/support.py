"""Helpers for the reliability suite: deployments on the faulty upstream, metered gateways, counters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.fakes.faulty_upstream import FaultyUpstream
from tests.integration.metering.support import StaticLookup
from tollway.auth.context import AuthContext, Limits
from tollway.metering.periods import period
from tollway.storage.counters_repo import CountersRepo
from tollway.storage.ops import Key


def deployment(faulty: FaultyUpstream, mode: str, *, name: str = "m", **params: Any) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {
        "model": "openai/faulty", "api_base": faulty.base_url(mode), "api_key": "sk-upstream-0000000000",
        "input_cost_per_token": 0.001, "output_cost_per_token": 0.001, **params},
        "model_info": {"id": f"{name}-{mode}"}}


def config(*deployments: dict[str, Any], **router: Any) -> dict[str, Any]:
    return {"model_list": list(deployments), "router_settings": {"num_retries": 0, "retry_backoff_base": 0.01,
                                                                 **router}}


def metered_key(uid: str, *, budget: float = 100.0, parallel: int = 50) -> AuthContext:
    """A key and its team, each with a budget and a parallel-request limit."""
    return AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}", limits=(
        Limits(scope="key", scope_id=f"k-{uid}", max_budget=budget, budget_duration="1mo",
               max_parallel_requests=parallel),
        Limits(scope="team", scope_id=f"t-{uid}", max_budget=budget, budget_duration="1mo",
               max_parallel_requests=parallel)))


def with_keys(gateway: Any, keys: dict[str, AuthContext]) -> Any:
    gateway.app.state.gateway.auth.lookup = StaticLookup(keys)
    return gateway


def counters(uid: str) -> dict[str, Decimal]:
    """Budget spent/committed/open reservations and in-flight slots, at key and team level."""
    repo = CountersRepo()
    bucket, _ = period("1mo", datetime.now(UTC).timestamp())
    out: dict[str, Decimal] = {}
    for scope, ident in (("key", f"k-{uid}"), ("team", f"t-{uid}")):
        state = repo.budget(scope, ident, bucket)
        out[f"{scope}_spent"] = state["spent"]
        out[f"{scope}_committed"] = state["committed"]
        out[f"{scope}_reservations"] = state["reservations"]
        item = repo.counter(Key(f"rate#{scope}#{ident}", "parallel")) or {}
        out[f"{scope}_in_flight"] = Decimal(item.get("n") or 0)
        out[f"{scope}_slot_entries"] = Decimal(sum(1 for name in item if name.startswith("r_")))
    return out


def assert_nothing_open(state: dict[str, Decimal]) -> None:
    for scope in ("key", "team"):
        assert state[f"{scope}_reservations"] == 0, state
        assert state[f"{scope}_in_flight"] == 0, state
        assert state[f"{scope}_slot_entries"] == 0, state
        assert state[f"{scope}_committed"] == state[f"{scope}_spent"], state
