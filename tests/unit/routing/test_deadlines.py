"""The router ends every attempt by its deadline, shares the request's budget across retries and
fallbacks, and never runs past the invocation's deadline minus the settlement margin."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tollway import deadline
from tollway.api.context import RequestContext
from tollway.config.loader import parse_config
from tollway.errors import GatewayTimeoutError
from tollway.routing.router import Router


def _router(**settings: Any) -> Router:
    return Router(parse_config({
        "model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m", "timeout": 0.3}},
                       {"model_name": "m", "litellm_params": {"model": "mock/m2", "timeout": 0.3}},
                       {"model_name": "b", "litellm_params": {"model": "mock/b", "timeout": 0.3}}],
        "router_settings": {"num_retries": 5, "retry_backoff_base": 0.001, "fallbacks": [{"m": ["b"]}],
                            **settings},
    }))


async def test_a_hanging_attempt_ends_at_its_timeout_and_is_retried_while_the_budget_lasts() -> None:
    seen: list[tuple[float, float] | None] = []

    async def hang(deployment: object) -> str:
        seen.append(deadline.current())
        await asyncio.sleep(60)
        return "never"

    router = _router(timeout=1.0)
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError):
        await router.run(router.group("m"), RequestContext(request_id="r"), hang)
    assert time.monotonic() - started < 1.0 + 2  # the request's budget, not 0.3 s x 6 attempts x 2 groups
    assert 2 <= len(seen) <= 4 and all(s is not None and s[1] == 0.3 for s in seen)


async def test_the_invocation_deadline_caps_every_attempt() -> None:
    async def hang(deployment: object) -> str:
        await asyncio.sleep(60)
        return "never"

    router = _router(timeout=600)
    ctx = RequestContext(request_id="r", deadline=time.monotonic() + 0.2)
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError):
        await router.run(router.group("m"), ctx, hang)
    assert time.monotonic() - started < 0.2 + 2
    ctx = RequestContext(request_id="r", deadline=time.monotonic() - 0.1)  # already past: no attempt
    with pytest.raises(GatewayTimeoutError, match="ran out of time"):
        await router.run(router.group("m"), ctx, hang)


async def _items(gaps: list[float]) -> Any:
    for gap in gaps:
        await asyncio.sleep(gap)
        yield gap


async def test_bounded_stream_gap_and_total() -> None:
    now = time.monotonic()
    assert [x async for x in deadline.bounded_stream(_items([0, 0.05, 0.05]), deadline=now + 5, gap=1, what="p",
                                                      total=5)] == [0, 0.05, 0.05]
    with pytest.raises(GatewayTimeoutError, match=r"sent nothing for 0\.2s"):
        [x async for x in deadline.bounded_stream(_items([0, 5]), deadline=now + 5, gap=0.2, what="p", total=5)]
    now = time.monotonic()
    with pytest.raises(GatewayTimeoutError, match=r"within 0\.5s"):  # each gap is short, the total is not
        [x async for x in deadline.bounded_stream(_items([0.15] * 20), deadline=now + 0.5, gap=0.3, what="p",
                                                  total=0.5)]


async def test_a_stream_that_ends_before_its_first_item_is_an_upstream_failure() -> None:
    from tollway.errors import UpstreamError

    with pytest.raises(UpstreamError, match="without sending anything"):
        await deadline.first(_items([]), "p")
