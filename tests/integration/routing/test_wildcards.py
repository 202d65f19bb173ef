"""Wildcard entries and model_group_alias through the real app: routing, /v1/models, keys, budgets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import FakeOpenAI
from tests.support.servers import serve_app

HI = [{"role": "user", "content": "hi"}]
UPSTREAM_MODELS = ["gpt-4o", "gpt-4.1", "o3"]


class ListingOpenAI(FakeOpenAI):
    """The fake OpenAI upstream that also answers ``GET /v1/models``."""

    def __init__(self) -> None:
        super().__init__()
        self.listings: list[str | None] = []
        self.app.router.routes.append(Route("/v1/models", self.models, methods=["GET"]))

    async def models(self, request: Request) -> JSONResponse:
        self.listings.append(request.headers.get("authorization"))
        return JSONResponse({"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "openai"} for name in UPSTREAM_MODELS]})


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[ListingOpenAI, str]]:
    fake = ListingOpenAI()
    server = serve_app(fake.app)
    yield fake, f"{server.url}/v1"
    server.stop()


def config(base_url: str) -> dict[str, Any]:
    return {
        "model_list": [
            {"model_name": "gpt-4o-mini", "litellm_params": {"model": "mock/gpt-4o-mini"}},
            {"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_base": base_url,
                                                          "api_key": "sk-upstream"}},
            {"model_name": "*", "litellm_params": {"model": "mock/*", "mock_response": "a b c d e",
                                                   "input_cost_per_token": 0, "output_cost_per_token": 0.001}},
        ],
        "router_settings": {"model_group_alias": {
            "gpt-4": "gpt-4o-mini", "house-model": {"model": "openai/gpt-4.1", "hidden": True}}},
    }


@pytest.fixture
def gateway(start_gateway: Any, upstream: tuple[ListingOpenAI, str]) -> Any:
    upstream[0].reset()
    upstream[0].listings.clear()
    return start_gateway(config(upstream[1]))


def client(gateway: Any, key: str = MASTER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)


def test_any_model_is_routed_by_the_most_specific_entry(gateway: Any, upstream: tuple[ListingOpenAI, str]) -> None:
    fake, _ = upstream
    sdk = client(gateway)
    answer = sdk.chat.completions.create(model="openai/gpt-4o", messages=HI)
    assert answer.choices[0].message.content == "echo: hi"
    assert fake.requests[-1]["model"] == "gpt-4o" and fake.headers[-1]["authorization"] == "Bearer sk-upstream"
    other = sdk.chat.completions.with_raw_response.create(model="some-new-model", messages=HI)
    assert other.parse().choices[0].message.content == "a b c d e"
    assert other.parse().model == "some-new-model"
    again = sdk.chat.completions.with_raw_response.create(model="another-model", messages=HI)
    assert again.headers["x-tollway-deployment"] != other.headers["x-tollway-deployment"]  # one per concrete model
    stream = sdk.chat.completions.create(model="openai/o3", messages=HI, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).strip() == "echo: hi"
    assert fake.requests[-1]["model"] == "o3"


def test_aliases_route_to_their_model_and_hidden_ones_still_work(gateway: Any,
                                                                 upstream: tuple[ListingOpenAI, str]) -> None:
    sdk = client(gateway)
    alias = sdk.chat.completions.with_raw_response.create(model="gpt-4", messages=HI)
    direct = sdk.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HI)
    assert alias.headers["x-tollway-deployment"] == direct.headers["x-tollway-deployment"]
    sdk.chat.completions.create(model="house-model", messages=HI)
    assert upstream[0].requests[-1]["model"] == "gpt-4.1"
    assert sdk.models.retrieve("house-model").id == "house-model"


def test_models_lists_what_wildcards_serve_and_visible_aliases(gateway: Any,
                                                               upstream: tuple[ListingOpenAI, str]) -> None:
    sdk = client(gateway)
    ids = [m.id for m in sdk.models.list()]
    assert ids == ["gpt-4o-mini", "openai/gpt-4o", "openai/gpt-4.1", "openai/o3", "*", "gpt-4"]
    assert [m.id for m in sdk.models.list()] == ids
    assert upstream[0].listings == ["Bearer sk-upstream"]  # asked once, then cached
    assert sdk.models.retrieve("openai/o3").owned_by == "openai"
    assert sdk.models.retrieve("anything-at-all").owned_by == "mock"


def test_an_unreachable_lister_falls_back_to_the_configured_entry(start_gateway: Any) -> None:
    gw = start_gateway(config("http://127.0.0.1:9/v1"))
    ids = [m.id for m in client(gw).models.list()]
    assert ids == ["gpt-4o-mini", "openai/*", "*", "gpt-4"]
    assert client(gw).models.retrieve("openai/*").owned_by == "openai"


def test_without_a_catch_all_unknown_names_are_404(start_gateway: Any, upstream: tuple[ListingOpenAI, str]) -> None:
    settings = config(upstream[1])
    settings["model_list"] = settings["model_list"][:2]
    sdk = client(start_gateway(settings))
    for name in ("some-new-model", "openai/", "anthropic/claude-x"):
        with pytest.raises(openai.NotFoundError):
            sdk.chat.completions.create(model=name, messages=HI)
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("some-new-model")


# ----------------------------------------------------------------------------- virtual keys


@pytest.fixture
def store(dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tollway.storage import client as storage

    monkeypatch.setenv("TOLLWAY_TABLE_PREFIX", f"w{uuid.uuid4().hex[:8]}-")
    storage.ensure_tables()


def new_key(gateway: Any, **fields: Any) -> str:
    made = httpx.post(f"{gateway.url}/key/generate", json=fields, headers={"authorization": f"Bearer {MASTER_KEY}"})
    assert made.status_code == 200, made.text
    return str(made.json()["key"])


def test_key_allowlists_apply_to_the_concrete_model(store: None, gateway: Any) -> None:
    openai_only = client(gateway, new_key(gateway, models=["openai/*"]))
    assert openai_only.chat.completions.create(model="openai/gpt-4o", messages=HI).choices
    with pytest.raises(openai.PermissionDeniedError):
        openai_only.chat.completions.create(model="some-new-model", messages=HI)
    with pytest.raises(openai.PermissionDeniedError):
        openai_only.chat.completions.create(model="gpt-4", messages=HI)  # the alias names gpt-4o-mini
    assert [m.id for m in openai_only.models.list()] == ["openai/gpt-4o", "openai/gpt-4.1", "openai/o3"]

    mini_only = client(gateway, new_key(gateway, models=["gpt-4o-mini"]))
    assert mini_only.chat.completions.create(model="gpt-4", messages=HI).choices  # allowed as the model it names
    with pytest.raises(openai.PermissionDeniedError):
        mini_only.chat.completions.create(model="openai/gpt-4o", messages=HI)
    assert [m.id for m in mini_only.models.list()] == ["gpt-4o-mini", "gpt-4"]

    exact = client(gateway, new_key(gateway, models=["some-new-model"]))
    assert exact.chat.completions.create(model="some-new-model", messages=HI).choices
    with pytest.raises(openai.PermissionDeniedError):
        exact.chat.completions.create(model="other-model", messages=HI)


def test_budgets_and_prices_apply_to_wildcard_served_models(store: None, gateway: Any) -> None:
    key = new_key(gateway, max_budget=0.0125)  # each answer: 5 output tokens x $0.001
    sdk = client(gateway, key)
    statuses, costs = [], []
    for _ in range(4):
        try:
            raw = sdk.chat.completions.with_raw_response.create(model="cheap-model", messages=HI, max_tokens=5)
            statuses.append(200)
            costs.append(float(raw.headers["x-tollway-response-cost"]))
        except openai.RateLimitError as exc:
            statuses.append(429)
            assert exc.body["type"] == "budget_exceeded"  # type: ignore[index]
    assert statuses == [200, 200, 429, 429]
    assert costs == [pytest.approx(0.005)] * 2
    digest = httpx.get(f"{gateway.url}/key/info", params={"key": key},
                       headers={"authorization": f"Bearer {MASTER_KEY}"}).json()["key"]
    logs = httpx.get(f"{gateway.url}/spend/logs", params={"key_digest": digest},
                     headers={"authorization": f"Bearer {MASTER_KEY}"}).json()["data"]
    assert sorted((log["model"], log["status"]) for log in logs) == [("cheap-model", "success")] * 2
    assert sum(log["cost"] for log in logs) == pytest.approx(0.01)


def test_a_wildcard_served_model_falls_back_by_its_pattern(start_gateway: Any,
                                                          upstream: tuple[ListingOpenAI, str]) -> None:
    from tests.fakes.openai_upstream import Scripted

    fake, base_url = upstream
    fake.reset()
    settings = config(base_url)
    settings["router_settings"]["fallbacks"] = [{"openai/*": ["gpt-4"]}]  # an alias as the fallback
    sdk = client(start_gateway(settings))
    fake.queue.append(Scripted(status=500, body={"error": {"message": "boom", "type": "server_error"}}))
    raw = sdk.chat.completions.with_raw_response.create(model="openai/gpt-4o", messages=HI)
    assert raw.parse().choices[0].message.content == "This is a mock response from Tollway. You said: hi"
    assert raw.headers["x-tollway-attempts"] == "2" and len(fake.requests) == 1
