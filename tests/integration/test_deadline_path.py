"""The invocation's deadline reaches the request, in both Lambda modes, and ends a slow call in time.

Setting ``RequestContext.deadline`` (from Mangum's Lambda context, or the Lambda Web Adapter's
``x-amzn-lambda-context`` header) is tested through the real middleware; the router then stops the
upstream call at that deadline with a 504, leaving the settlement margin to answer and settle.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from mangum import Mangum

from tests.conftest import MASTER_KEY
from tests.integration.test_lambda_handler import rest_event
from tollway.api.context import RequestContext
from tollway.api.middleware import RequestContextMiddleware

SLOW_CONFIG = f"""
model_list:
  - model_name: slow
    litellm_params: {{model: mock/slow, mock_latency_ms: 6000}}
general_settings: {{master_key: {MASTER_KEY}}}
"""


class FakeLambdaContext:
    """What the Lambda runtime hands the handler, as far as the gateway reads it."""

    aws_request_id = "11111111-2222-3333-4444-555555555555"
    function_name = "tollway"

    def __init__(self, remaining_ms: int) -> None:
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Probe:
    """An ASGI app that records the request context the middleware built, then answers 200."""

    def __init__(self) -> None:
        self.seen: list[RequestContext] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.seen.append(scope["state"]["tollway_ctx"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tollway")
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "true")
    monkeypatch.setenv("TOLLWAY_SETTLEMENT_MARGIN_MS", "1000")


def test_mangum_mode_sets_the_deadline_from_the_lambda_context(on_lambda: None) -> None:
    probe = Probe()
    handler = Mangum(RequestContextMiddleware(probe), lifespan="off", api_gateway_base_path="/")
    asyncio.set_event_loop(asyncio.new_event_loop())
    start = time.monotonic()
    response = handler(rest_event("GET", "/health/liveliness"), FakeLambdaContext(5_000))
    assert response["statusCode"] == 200
    (ctx,) = probe.seen
    assert ctx.deadline is not None
    assert start + 3.9 <= ctx.deadline <= start + 4.5  # 5 s left, minus the 1 s settlement margin


def test_lwa_mode_sets_the_deadline_from_the_forwarded_context(on_lambda: None) -> None:
    probe = Probe()
    start = time.monotonic()
    header = json.dumps({"request_id": "r-1", "deadline": int(time.time() * 1000) + 30_000})

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=RequestContextMiddleware(probe))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/health/liveliness", headers={"x-amzn-lambda-context": header})

    assert asyncio.run(call()).status_code == 200
    (ctx,) = probe.seen
    assert ctx.deadline is not None
    assert start + 28.9 <= ctx.deadline <= start + 29.5  # 30 s left, minus the 1 s margin


def test_local_serve_has_no_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    probe = Probe()
    header = json.dumps({"deadline": int(time.time() * 1000) + 1_000})

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=RequestContextMiddleware(probe))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/", headers={"x-amzn-lambda-context": header})

    assert asyncio.run(call()).status_code == 200
    assert probe.seen[0].deadline is None


@pytest.fixture
def slow_handler(tmp_path, monkeypatch, on_lambda):  # type: ignore[no-untyped-def]
    config = tmp_path / "config.yaml"
    config.write_text(SLOW_CONFIG)
    monkeypatch.setenv("TOLLWAY_CONFIG", str(config))
    monkeypatch.setattr("tollway.gateway._default", None)
    from tollway import handler as module

    module.app.state.gateway = None
    return module.handler


def test_slow_upstream_under_mangum_ends_in_504_before_the_deadline(slow_handler) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "slow", "messages": [{"role": "user", "content": "take your time"}]}
    start = time.monotonic()
    response = slow_handler(rest_event("POST", "/v1/chat/completions", body), FakeLambdaContext(3_000))
    elapsed = time.monotonic() - start
    assert response["statusCode"] == 504
    assert json.loads(response["body"])["error"]["type"]
    assert elapsed < 3.0  # answered before Lambda's own deadline (a ceiling, not a timing claim)


def test_slow_upstream_under_lwa_ends_in_504_before_the_deadline(tmp_path, monkeypatch, on_lambda) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.yaml"
    config.write_text(SLOW_CONFIG)
    monkeypatch.setenv("TOLLWAY_CONFIG", str(config))
    monkeypatch.setattr("tollway.gateway._default", None)
    from tollway.app import create_app

    header = json.dumps({"request_id": "r-2", "deadline": int(time.time() * 1000) + 3_000})
    body = {"model": "slow", "messages": [{"role": "user", "content": "take your time"}]}

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=10) as client:
            return await client.post("/v1/chat/completions", json=body, headers={
                "x-amzn-lambda-context": header, "authorization": f"Bearer {MASTER_KEY}"})

    start = time.monotonic()
    response = asyncio.run(call())
    assert response.status_code == 504
    assert response.json()["error"]["type"]
    assert time.monotonic() - start < 3.0
