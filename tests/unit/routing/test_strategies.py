"""Each routing strategy chooses as specified, given the router's view of deployment health."""

from __future__ import annotations

import random

import pytest

from tollway.config.models import Deployment
from tollway.errors import ConfigError, GatewayTimeoutError, InvalidRequestError, RateLimitError, UpstreamError
from tollway.routing.retries import backoff, retries_for
from tollway.routing.stats import Health
from tollway.routing.strategies import CostBased, LatencyBased, LeastBusy, SimpleShuffle, UsageBased, strategy_for


def dep(name: str, **params: object) -> Deployment:
    return Deployment.model_validate({"model_name": "g", "litellm_params": {"model": "mock/x", **params},
                                      "model_info": {"id": name}})


@pytest.fixture
def health() -> Health:
    return Health(allowed_fails=3, cooldown_time=30)


def test_least_busy(health: Health) -> None:
    a, b = dep("a"), dep("b")
    health.started("a")
    health.started("a")
    health.started("b")
    assert LeastBusy(random.Random(1)).choose([a, b], health, streaming=False) is b


def test_latency_prefers_unmeasured_then_lowest(health: Health) -> None:
    a, b, c = dep("a"), dep("b"), dep("c")
    for name, seconds in (("a", 0.5), ("b", 0.1)):
        start = health.started(name)
        health._now = lambda s=start + seconds: s  # type: ignore[method-assign]
        health.succeeded(name, start)
    strategy = LatencyBased(random.Random(1))
    assert strategy.choose([a, b, c], health, streaming=False) is c
    assert strategy.choose([a, b], health, streaming=False) is b


def test_usage_based_picks_the_most_headroom(health: Health) -> None:
    a, b = dep("a", rpm=10), dep("b", rpm=100)
    for _ in range(5):
        health.started("b")
    assert UsageBased(random.Random(1)).choose([a, b], health, streaming=False) is a  # a 100% free, b 95%
    for _ in range(5):
        health.started("a")  # a: 5/10 used -> 50% headroom; b: 95%
    assert UsageBased(random.Random(1)).choose([a, b], health, streaming=False) is b


def test_cost_based_picks_the_cheapest(health: Health) -> None:
    cheap = dep("cheap", input_cost_per_token=1e-7, output_cost_per_token=4e-7)
    dear = dep("dear", input_cost_per_token=3e-6, output_cost_per_token=1.5e-5)
    assert CostBased(random.Random(1)).choose([dear, cheap], health, streaming=False) is cheap


def test_shuffle_weights_fall_back_to_rpm() -> None:
    rng = random.Random(7)
    a, b = dep("a", rpm=900), dep("b", rpm=100)
    picks = [SimpleShuffle(rng).choose([a, b], Health(allowed_fails=1, cooldown_time=1), streaming=False).id
             for _ in range(1000)]
    assert 850 < picks.count("a") < 950


def test_cooldown_after_allowed_fails(health: Health) -> None:
    assert not health.failed("a") and not health.failed("a")
    assert health.failed("a") and health.cooling("a")
    assert health.failed("b", cool_now=True) and health.cooling("b")


def test_unknown_strategy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown strategy 'fastest'"):
        strategy_for("fastest", random.Random())


def test_retry_rules() -> None:
    assert retries_for(RateLimitError("x"), 2, None) == 2
    assert retries_for(InvalidRequestError("x"), 2, None) == 0
    assert retries_for(GatewayTimeoutError("x"), 2, {"TimeoutErrorRetries": 5}) == 5
    assert retries_for(UpstreamError("x", upstream_status=401), 2, None) == 0
    assert backoff(0, RateLimitError("x", retry_after=30), base=0.5, cap=10, rng=random.Random()) == 10
    assert 0 <= backoff(3, UpstreamError("x"), base=0.5, cap=10, rng=random.Random()) <= 4
