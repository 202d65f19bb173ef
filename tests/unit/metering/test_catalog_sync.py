"""Catalog sync from a local HTTP server: a good map replaces the old one; malformed or truncated ones never do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.responses import Response

from tests.support.servers import RunningServer, serve_app
from tollway.config.models import Deployment
from tollway.metering.catalog import PriceCatalog

DEPLOYMENT = Deployment.model_validate({"model_name": "g", "litellm_params": {"model": "openai/gpt-4o"}})


class PriceServer:
    def __init__(self) -> None:
        self.body: bytes = b"{}"
        self.app = FastAPI()
        self.app.get("/prices.json")(self.serve)

    async def serve(self) -> Response:
        return Response(self.body, media_type="application/json")


@pytest.fixture(scope="module")
def price_server() -> Iterator[tuple[PriceServer, RunningServer]]:
    fake = PriceServer()
    server = serve_app(fake.app)
    yield fake, server
    server.stop()


def _map(n: int, price: float) -> dict[str, Any]:
    out: dict[str, Any] = {f"filler-{i}": {"input_cost_per_token": 1e-06, "litellm_provider": "openai"}
                           for i in range(n)}
    out["gpt-4o"] = {"input_cost_per_token": price, "output_cost_per_token": price * 4, "mode": "chat"}
    return out


async def test_sync_replaces_then_rejects_bad_maps(price_server) -> None:  # type: ignore[no-untyped-def]
    fake, server = price_server
    catalog = PriceCatalog(_map(9, 1e-06), sync_url=f"{server.url}/prices.json", sync_interval=3600)
    assert catalog.price(DEPLOYMENT).input == 1e-06  # type: ignore[union-attr]

    fake.body = json.dumps(_map(9, 2e-06)).encode()
    assert await catalog.sync() is True
    assert catalog.price(DEPLOYMENT).input == 2e-06  # type: ignore[union-attr]

    for bad in (b'{"gpt-4o": {"input_cost_per_token": 3e-06', b"[1, 2]",  # truncated JSON, not a map
                json.dumps({"gpt-4o": {"input_cost_per_token": "free"}}).encode(),  # not a number
                json.dumps({"gpt-4o": {"input_cost_per_token": -1}}).encode(),  # negative
                json.dumps(_map(1, 5e-06)).encode()):  # far fewer entries than the current map: truncated
        fake.body = bad
        assert await catalog.sync() is False
        assert catalog.last_error
        assert catalog.price(DEPLOYMENT).input == 2e-06  # type: ignore[union-attr]


async def test_maybe_sync_runs_in_the_background_when_due(price_server) -> None:  # type: ignore[no-untyped-def]
    fake, server = price_server
    fake.body = json.dumps(_map(9, 7e-06)).encode()
    catalog = PriceCatalog(_map(9, 1e-06), sync_url=f"{server.url}/prices.json", sync_interval=0.001)
    catalog.last_sync -= 1
    catalog.maybe_sync()
    assert catalog._task is not None
    await catalog._task
    assert catalog.price(DEPLOYMENT).input == 7e-06  # type: ignore[union-attr]


def test_bundled_map_covers_our_providers() -> None:
    entries = PriceCatalog().entries
    providers = {entry.get("litellm_provider") for entry in entries.values()}
    for provider in ("openai", "azure", "anthropic", "bedrock", "gemini", "vertex_ai-language-models", "cohere",
                     "mistral", "groq", "together_ai", "fireworks_ai", "deepseek", "xai", "perplexity", "cerebras"):
        assert provider in providers, provider
