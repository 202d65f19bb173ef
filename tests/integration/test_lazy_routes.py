"""Lazily imported route modules answer exactly as if they had been imported with the app.

Driven over HTTP (the official SDKs and httpx against the app on loopback): the placeholders load on
the first request under their prefixes, 404/405/redirects and the error envelope are unchanged, and
the OpenAPI document describes every route even when no lazy module was used yet.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest

from tests.conftest import MASTER_KEY
from tollway.api.routing import LazyRoutes

CONFIG = {"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}]}
AUTH = {"authorization": f"Bearer {MASTER_KEY}"}


def _lazy(app: Any) -> dict[str, LazyRoutes]:
    return {route.module: route for route in app.router.routes if isinstance(route, LazyRoutes)}


def test_a_lazy_module_loads_on_its_first_request_with_the_same_statuses(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(CONFIG)
    app = gateway.app
    assert "tollway.api.routes.admin_keys" in _lazy(app)
    with httpx.Client(base_url=gateway.url, headers=AUTH, timeout=10, follow_redirects=False) as http:
        wrong_method = http.get("/key/generate")
        assert "tollway.api.routes.admin_keys" not in _lazy(app)  # replaced by its routes
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"]["message"] == "Method GET is not allowed on /key/generate."
        unknown = http.get("/key/no-such-route")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_route"
        assert http.get("/keys/info").status_code == 404  # a prefix matches whole path segments only
        assert "tollway.api.routes.admin_teams" in _lazy(app)
        redirect = http.get("/guardrails/list/")
        assert redirect.status_code == 307 and redirect.headers["location"].endswith("/guardrails/list")
        assert http.get("/guardrails/list").json() == {"guardrails": []}
        assert http.head("/v1/models").status_code == 405  # GET routes answer GET only, as before
        assert http.get("/ui").status_code == 308


def test_the_anthropic_front_door_loads_lazily_for_the_official_sdk(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(CONFIG)
    client = anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
    message = client.messages.create(model="m", max_tokens=20, messages=[{"role": "user", "content": "hi"}])
    assert message.content and message.role == "assistant"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="unknown", max_tokens=20, messages=[{"role": "user", "content": "hi"}])


def test_the_openapi_document_describes_lazy_routes_before_any_was_used(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(CONFIG)
    assert _lazy(gateway.app)
    document = httpx.get(f"{gateway.url}/openapi.json", timeout=30).json()
    assert not _lazy(gateway.app)
    paths = document["paths"]
    assert {"/v1/chat/completions", "/v1/messages", "/v1/responses/{response_id}", "/key/generate", "/team/new",
            "/spend/logs", "/audit", "/guardrails/list", "/health/liveliness"} <= set(paths)
    assert paths["/key/generate"]["post"]["tags"] == ["keys"]
    assert paths["/key/generate"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/KeyGenerate"}
    assert not [path for path in paths if path.startswith(("/ui", "/metrics", "/openapi"))]


def test_concurrent_first_requests_all_reach_the_lazily_imported_routes(start_gateway) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    gateway = start_gateway(CONFIG)
    assert "tollway.api.routes.guardrails" in _lazy(gateway.app)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=gateway.url, headers=AUTH, timeout=30) as http:
            answers = await asyncio.gather(*(http.get("/guardrails/list") for _ in range(8)))
        return [answer.status_code for answer in answers]

    assert asyncio.run(burst()) == [200] * 8
    routes = gateway.app.router.routes
    guardrail_routes = [route for route in routes if getattr(route, "path", "") == "/guardrails/list"]
    assert len(guardrail_routes) == 1  # loaded once
