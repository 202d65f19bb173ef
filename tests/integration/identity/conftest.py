"""Fixtures for identity tests: a fresh table prefix per module, a gateway with mock models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.support.tables import fresh_tables

MODELS = {
    "model_list": [
        {"model_name": "gpt-4o-mini", "litellm_params": {"model": "mock/gpt-4o-mini"}},
        {"model_name": "claude-haiku", "litellm_params": {"model": "mock/anthropic/claude-haiku"},
         "model_info": {"access_groups": ["cheap"]}},
        {"model_name": "big-model", "litellm_params": {"model": "mock/big-model"}},
    ],
}


@pytest.fixture(scope="module")
def table_prefix(store_backend: str) -> Iterator[str]:
    """A unique ``TOLLWAY_TABLE_PREFIX`` for this module, its tables created."""
    with fresh_tables("t") as prefix:
        yield prefix


@pytest.fixture
def gateway(start_gateway: Callable[..., Any], table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TOLLWAY_AUTH_CACHE_TTL", "30")
    return start_gateway(MODELS)


class Admin:
    """The admin API over HTTP as a given caller."""

    def __init__(self, url: str, key: str = MASTER_KEY, http: httpx.Client | None = None) -> None:
        self.url = url
        self.key = key
        self.http = http or httpx.Client(timeout=30)

    def as_(self, key: str) -> Admin:
        return Admin(self.url, key, self.http)

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        return self.http.request(method, f"{self.url}{path}", json=body, params=params or None,
                                 headers={"Authorization": f"Bearer {self.key}"})

    def post(self, path: str, body: Any = None, *, expect: int = 200) -> Any:
        response = self.call("POST", path, body)
        assert response.status_code == expect, response.text
        return response.json()

    def get(self, path: str, *, expect: int = 200, **params: Any) -> Any:
        response = self.call("GET", path, **params)
        assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture
def admin(gateway: Any) -> Iterator[Admin]:
    caller = Admin(gateway.url)
    yield caller
    caller.http.close()
