"""Routing strategies: which healthy deployment of a group takes the next call.

Names follow LiteLLM's ``router_settings.routing_strategy``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Protocol

from tollway.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.config.models import Deployment
    from tollway.routing.stats import Health


class Strategy(Protocol):
    def choose(self, deployments: list[Deployment], health: Health, *, streaming: bool) -> Deployment: ...


class SimpleShuffle:
    """Weighted random: by ``weight``, else by ``rpm``, else by ``tpm``, else even."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, deployments: list[Deployment], health: Health, *, streaming: bool) -> Deployment:
        if len(deployments) == 1:
            return deployments[0]
        for attr in ("weight", "rpm", "tpm"):
            weights = [getattr(d.litellm_params, attr) for d in deployments]
            if any(w for w in weights):
                return self.rng.choices(deployments, weights=[float(w or 0) for w in weights], k=1)[0]
        return self.rng.choice(deployments)


class LeastBusy:
    """Fewest calls in flight on this instance (ties broken at random)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, deployments: list[Deployment], health: Health, *, streaming: bool) -> Deployment:
        lowest = min(health.get(d.id).in_flight for d in deployments)
        return self.rng.choice([d for d in deployments if health.get(d.id).in_flight == lowest])


class LatencyBased:
    """Lowest EWMA latency (time to first token for streams); unmeasured deployments are tried first."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, deployments: list[Deployment], health: Health, *, streaming: bool) -> Deployment:
        def score(d: Deployment) -> float:
            stats = health.get(d.id)
            value = (stats.ttft if streaming else stats.latency) or (stats.latency if streaming else None)
            return -1.0 if value is None else value

        best = min(score(d) for d in deployments)
        return self.rng.choice([d for d in deployments if score(d) == best])


class UsageBased:
    """Most headroom against the deployment's ``rpm``/``tpm`` this minute; full ones only as a last resort."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, deployments: list[Deployment], health: Health, *, streaming: bool) -> Deployment:
        def headroom(d: Deployment) -> float:
            requests, tokens = health.usage(d.id)
            limits = [(requests, d.litellm_params.rpm), (tokens, d.litellm_params.tpm)]
            ratios = [1 - used / limit for used, limit in limits if limit]
            return min(ratios) if ratios else 1.0

        best = max(headroom(d) for d in deployments)
        return self.rng.choice([d for d in deployments if headroom(d) == best])


class CostBased:
    """The cheapest deployment per token, as priced by ``price`` (the meter's catalog with overrides)."""

    def __init__(self, rng: random.Random, price: Callable[[Deployment], float | None] | None = None) -> None:
        self.rng = rng
        self.price = price or _override_price

    def choose(self, deployments: list[Deployment], health: Health, *, streaming: bool) -> Deployment:
        prices = {d.id: self.price(d) for d in deployments}
        known = [p for p in prices.values() if p is not None]
        if not known:
            return self.rng.choice(deployments)
        cheapest = min(known)
        return self.rng.choice([d for d in deployments if prices[d.id] == cheapest])


def _override_price(deployment: Deployment) -> float | None:
    """Prices from the config entry alone (when no catalog is wired in)."""
    params = deployment.litellm_params
    if params.input_cost_per_token is None and params.output_cost_per_token is None:
        return None
    return (params.input_cost_per_token or 0.0) + (params.output_cost_per_token or 0.0)


STRATEGIES: dict[str, type] = {
    "simple-shuffle": SimpleShuffle,
    "least-busy": LeastBusy,
    "latency-based-routing": LatencyBased,
    "usage-based-routing": UsageBased,
    "usage-based-routing-v2": UsageBased,
    "cost-based-routing": CostBased,
}


def strategy_for(name: str, rng: random.Random,
                 price: Callable[[Deployment], float | None] | None = None) -> Strategy:
    try:
        kind = STRATEGIES[name]
    except KeyError:
        known = ", ".join(STRATEGIES)
        raise ConfigError(f"router_settings.routing_strategy: unknown strategy '{name}' (known: {known})") from None
    return kind(rng, price) if kind is CostBased else kind(rng)  # type: ignore[no-any-return]
