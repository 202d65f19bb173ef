"""The lazy route table: each placeholder's prefixes cover all its module's routes and none of the hot path's
(a prefix over the hot path would import its module on the first chat request)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tollway.api.routing import Endpoint, LazyRoutes
from tollway.app import create_app


def _lazy(app: Any) -> dict[str, LazyRoutes]:
    return {route.module: route for route in app.router.routes if isinstance(route, LazyRoutes)}


def test_each_lazy_module_serves_only_under_its_prefixes_and_overlaps_no_eager_route() -> None:
    app = create_app()
    eager = [route.path for route in app.router.routes if isinstance(route, Endpoint)]
    placeholders = _lazy(app)
    assert {"tollway.api.routes.admin_keys", "tollway.api.routes.responses", "tollway.ui.routes"} <= set(placeholders)
    for module, placeholder in placeholders.items():
        assert not [path for path in eager if placeholder.covers(path)], module
        routes = importlib.import_module(module).router.routes
        assert routes, module
        uncovered = [route.path for route in routes if not placeholder.covers(route.path.split("{")[0].rstrip("/"))]
        assert uncovered == [], f"{module}: routes no request would ever load: {uncovered}"


def test_a_fastapi_router_is_refused_when_included() -> None:
    from fastapi import APIRouter

    fastapi_router = APIRouter()

    @fastapi_router.get("/customer/info")
    async def info() -> dict[str, str]:
        return {}

    app = create_app()
    with pytest.raises(TypeError, match=r"tollway\.api\.routing\.Router"):
        app.include_router(fastapi_router)  # type: ignore[arg-type]
