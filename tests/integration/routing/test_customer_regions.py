"""A customer's ``allowed_model_region`` and ``default_model`` route its requests (``routing.regions``), through the
running app with the official SDKs, on both stores. Each deployment is its own fake upstream on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.routing.test_router import MESSAGES, client_for, deployment, upstreams
from tests.support.tables import fresh_tables

__all__ = ["upstreams"]

ADMIN = {"authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture(scope="module")
def table_prefix(store_backend: str) -> Iterator[str]:
    """A fresh ``TOLLWAY_TABLE_PREFIX`` for this module, its tables created."""
    with fresh_tables("r") as prefix:
        yield prefix


@pytest.fixture
def world(start_gateway: Any, upstreams: Any, table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Groups: ``m`` (EU, US and unknown-region deployments), ``us-only``, ``eu-default`` (EU), ``unknown`` (no
    region); the upstreams by deployment id; customers are made per test."""
    monkeypatch.setenv("TOLLWAY_AUTH_CACHE_TTL", "60")
    fakes = {name: upstreams() for name in ("m-eu", "m-us", "m-any", "us-only", "eu-default", "unknown")}
    gateway = start_gateway({"model_list": [
        deployment("m", fakes["m-eu"], region_name="eu", model_info={"id": "m-eu"}),
        deployment("m", fakes["m-us"], region_name="us", model_info={"id": "m-us"}),
        deployment("m", fakes["m-any"], model_info={"id": "m-any"}),
        deployment("us-only", fakes["us-only"], region_name="us", model_info={"id": "us-only"}),
        deployment("eu-default", fakes["eu-default"], region_name="eu", model_info={"id": "eu-default"}),
        deployment("unknown", fakes["unknown"], model_info={"id": "unknown"}),
    ]})
    http = httpx.Client(base_url=gateway.url, headers=ADMIN, timeout=30)
    return {"gateway": gateway, "fakes": fakes, "http": http, "uid": uuid.uuid4().hex[:8]}


def _customer(world: dict[str, Any], name: str, **fields: Any) -> str:
    user_id = f"{name}-{world['uid']}"
    made = world["http"].post("/customer/new", json={"user_id": user_id, **fields})
    assert made.status_code == 200, made.text
    return user_id


def _served(client: openai.OpenAI, model: str = "m", **options: Any) -> str:
    raw = client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES, **options)
    return raw.headers["x-tollway-deployment"]


def _counts(world: dict[str, Any]) -> dict[str, int]:
    return {name: len(fake.requests) for name, fake in world["fakes"].items() if fake.requests}


def test_an_eu_customer_is_served_only_by_eu_deployments_on_every_door(world: dict[str, Any]) -> None:
    eu = _customer(world, "eu", allowed_model_region="eu")
    client = client_for(world["gateway"])
    assert {_served(client, user=eu) for _ in range(8)} == {"m-eu"}

    stream = client.chat.completions.create(model="m", messages=MESSAGES, user=eu, stream=True)  # type: ignore[arg-type]
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).strip() == "echo: hello"
    client.responses.create(model="m", input="hello", user=eu)
    client.completions.create(model="m", prompt="hello", user=eu, max_tokens=5)
    client.embeddings.create(model="m", input="hello", user=eu)
    assert _counts(world) == {"m-eu": 12}

    from tollway.storage import client as storage

    store = storage.store()
    before = store.round_trips.copy()
    for _ in range(3):
        assert _served(client, user=eu) == "m-eu"
    reads = {op: n for op, n in (store.round_trips - before).items() if op in ("get", "get_many", "query")}
    assert reads == {}  # a warm customer: routing and metering read it from the cache
    assert world["http"].post("/customer/update", json={"user_id": eu, "alias": "EU"}).status_code == 200
    before = store.round_trips.copy()
    assert _served(client, user=eu) == "m-eu"
    reads = {op: n for op, n in (store.round_trips - before).items() if op in ("get", "get_many", "query")}
    assert reads == {"get": 1}  # a cold one: read once for the request, by routing and metering together
    assert world["http"].post("/customer/update", json={"user_id": eu, "alias": "EU!"}).status_code == 200
    before = store.round_trips.copy()
    client.completions.create(model="m", prompt=["one", "two", "three"], user=eu, max_tokens=5)
    reads = {op: n for op, n in (store.round_trips - before).items() if op in ("get", "get_many", "query")}
    assert reads == {"get": 1}  # three prompts, one request: one read
    assert _counts(world) == {"m-eu": 19}


def test_a_fallback_outside_the_region_is_skipped(world: dict[str, Any], start_gateway: Any, upstreams: Any) -> None:
    from tests.fakes.openai_upstream import Scripted

    primary, us, eu = upstreams(), upstreams(), upstreams()
    gateway = start_gateway({
        "model_list": [deployment("p", primary, region_name="eu", model_info={"id": "p"}),
                       deployment("us-backup", us, region_name="us", model_info={"id": "us-backup"}),
                       deployment("eu-backup", eu, aws_region_name="eu-west-1", region_name="eu-west-1",
                                  model_info={"id": "eu-backup"})],
        "router_settings": {"fallbacks": [{"p": ["us-backup", "eu-backup"]}]},
    })
    eu_user = _customer(world, "fb", allowed_model_region="eu")
    client = client_for(gateway)
    for _ in range(2):
        primary.queue.append(Scripted(status=500, body={"error": {"message": "down"}}))
    assert _served(client, "p", user=eu_user) == "eu-backup"
    assert len(us.requests) == 0 and len(eu.requests) == 1
    assert _served(client, "p", user=f"nobody-{world['uid']}") == "us-backup"  # unrestricted: the first fallback


def test_the_default_model_serves_a_group_with_no_deployment_in_region(world: dict[str, Any]) -> None:
    eu = _customer(world, "dflt", allowed_model_region="eu", default_model="eu-default")
    client = client_for(world["gateway"])
    raw = client.chat.completions.with_raw_response.create(model="us-only", messages=MESSAGES, user=eu)  # type: ignore[arg-type]
    assert raw.headers["x-tollway-deployment"] == "eu-default"
    assert raw.parse().choices[0].message.content == "echo: hello"
    assert _served(client, "unknown", user=eu) == "eu-default"  # an unknown region never serves it
    assert _served(client, "m", user=eu) == "m-eu"  # a group with an EU deployment keeps its own
    assert _counts(world) == {"eu-default": 2, "m-eu": 1}
    logs = world["http"].get("/spend/logs", params={"end_user": eu}).json()["data"]
    assert sorted(row["model"] for row in logs) == ["eu-default", "eu-default", "m"]  # charged as what served it


def test_with_neither_the_request_is_refused_before_any_call(world: dict[str, Any]) -> None:
    eu = _customer(world, "none", allowed_model_region="eu")
    us_default = _customer(world, "usdflt", allowed_model_region="eu", default_model="unknown")
    client = client_for(world["gateway"])
    for user, says in ((eu, "no default_model"), (us_default, "default_model 'unknown'")):
        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(model="us-only", messages=MESSAGES, user=user)  # type: ignore[arg-type]
        error = refused.value.body
        assert isinstance(error, dict) and error["code"] == "no_deployment_in_region" and error["param"] == "model"
        assert "'us-only'" in error["message"] and "'eu'" in error["message"] and says in error["message"]
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="us-only", messages=MESSAGES, user=user, stream=True)  # type: ignore[arg-type]
    assert _counts(world) == {}
    for user in (eu, us_default):
        assert world["http"].get("/spend/logs", params={"end_user": user}).json()["data"] == []


def test_without_a_region_requests_route_as_before(world: dict[str, Any]) -> None:
    anywhere = _customer(world, "any", max_budget=100)
    client = client_for(world["gateway"])
    served = {_served(client, user=anywhere) for _ in range(24)} | {_served(client) for _ in range(24)}
    assert served == {"m-eu", "m-us", "m-any"}
    assert _served(client, "us-only", user=anywhere) == "us-only"
    assert _served(client, "unknown", user=f"no-record-{world['uid']}") == "unknown"
    eu = _customer(world, "eu-too", allowed_model_region="eu")  # the same requests, restricted
    assert {_served(client, user=eu) for _ in range(8)} == {"m-eu"}


def test_messages_take_the_customer_from_metadata_and_refuse_in_anthropics_shape(world: dict[str, Any]) -> None:
    eu = _customer(world, "claude", allowed_model_region="eu")
    client = anthropic.Anthropic(base_url=world["gateway"].url, api_key=MASTER_KEY, max_retries=0)
    raw = client.messages.with_raw_response.create(model="m", max_tokens=16, messages=MESSAGES,  # type: ignore[arg-type]
                                                   metadata={"user_id": eu})
    assert raw.headers["x-tollway-deployment"] == "m-eu"
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.create(model="us-only", max_tokens=16, messages=MESSAGES,  # type: ignore[arg-type]
                               metadata={"user_id": eu})
    body = refused.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error" and "'eu'" in body["error"]["message"]
    assert _counts(world) == {"m-eu": 1}



def test_a_guardrails_judge_call_stays_in_the_requests_region(world: dict[str, Any], start_gateway: Any,
                                                              upstreams: Any) -> None:
    served, judge_eu, judge_us = upstreams(), upstreams(), upstreams()
    gateway = start_gateway({
        "model_list": [deployment("p", served, region_name="eu", model_info={"id": "p"}),
                       deployment("judge", judge_eu, region_name="eu", model_info={"id": "judge-eu"}),
                       deployment("judge", judge_us, region_name="us", model_info={"id": "judge-us"})],
        "guardrails": [{"guardrail_name": "judged", "litellm_params": {
            "guardrail": "prompt_injection", "mode": "pre_call", "default_on": True, "judge_model": "judge"}}],
    })
    eu = _customer(world, "judged", allowed_model_region="eu")
    client = client_for(gateway)
    for _ in range(6):
        assert _served(client, "p", user=eu) == "p"
    assert len(served.requests) == 6 and len(judge_eu.requests) == 6 and judge_us.requests == []
