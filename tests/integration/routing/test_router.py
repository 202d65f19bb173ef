"""Fault injection through the running app: retries, fallbacks, cooldowns, timeouts, balancing.

Each deployment is its own fake upstream server on loopback, so every test can count
exactly which deployment was called how often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import FakeOpenAI, Scripted
from tests.support.servers import serve_app

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def upstreams() -> Iterator[Callable[[], FakeOpenAI]]:
    """Start fake OpenAI upstreams on demand, each on its own port (``.base_url``)."""
    started = []

    def start() -> FakeOpenAI:
        fake = FakeOpenAI()
        server = serve_app(fake.app)
        fake.base_url = f"{server.url}/v1"  # type: ignore[attr-defined]
        started.append(server)
        return fake

    yield start
    for server in started:
        server.stop()


def deployment(name: str, fake: FakeOpenAI, **params: Any) -> dict[str, Any]:
    info = params.pop("model_info", {"id": f"{name}-{len(fake.requests)}-{id(fake) % 10000}"})
    return {
        "model_name": name,
        "litellm_params": {
            "model": "openai/up",
            "api_base": fake.base_url,  # type: ignore[attr-defined]
            "api_key": "k",
            **params,
        },
        "model_info": info,
    }


def client_for(gateway: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_429_then_success_is_retried(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    fake = upstreams()
    fake.queue.append(Scripted(status=429, body={"error": {"message": "slow"}}, headers={"retry-after": "0"}))
    gateway = start_gateway({"model_list": [deployment("m", fake)], "router_settings": {"num_retries": 2}})
    raw = client_for(gateway).chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == "echo: hello"
    assert len(fake.requests) == 2 and raw.headers["x-tollway-attempts"] == "2"


def test_a_client_error_is_never_retried(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    fake = upstreams()
    fake.queue.append(Scripted(status=400, body={"error": {"message": "bad 'top_p'"}}))
    gateway = start_gateway(
        {"model_list": [deployment("m", fake)], "router_settings": {"num_retries": 3, "fallbacks": [{"m": ["m"]}]}}
    )
    with pytest.raises(openai.BadRequestError):
        client_for(gateway).chat.completions.create(model="m", messages=MESSAGES)
    assert len(fake.requests) == 1


def test_an_outage_falls_back_in_order(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    primary, second, third = upstreams(), upstreams(), upstreams()
    primary.queue.extend(Scripted(status=500, body={"error": {"message": "down"}}) for _ in range(3))
    second.queue.extend(Scripted(status=503, body={"error": {"message": "also down"}}) for _ in range(2))
    gateway = start_gateway(
        {
            "model_list": [
                deployment("primary", primary, model_info={"id": "p"}),
                deployment("second", second, model_info={"id": "s"}),
                deployment("third", third, model_info={"id": "t"}),
            ],
            "router_settings": {
                "num_retries": 1,
                "retry_backoff_base": 0.01,
                "fallbacks": [{"primary": ["second", "third"]}],
            },
        }
    )
    raw = client_for(gateway).chat.completions.with_raw_response.create(model="primary", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == "echo: hello"
    assert raw.headers["x-tollway-deployment"] == "t"
    assert (len(primary.requests), len(second.requests), len(third.requests)) == (2, 2, 1)
    assert raw.headers["x-tollway-attempts"] == "5"


def test_per_request_fallbacks(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    primary, backup = upstreams(), upstreams()
    primary.queue.append(Scripted(status=502, body={"error": {"message": "bad gateway"}}))
    gateway = start_gateway({"model_list": [deployment("a", primary), deployment("b", backup, model_info={"id": "b"})]})
    raw = client_for(gateway).chat.completions.with_raw_response.create(
        model="a", messages=MESSAGES, extra_body={"fallbacks": ["b"]}
    )
    assert raw.headers["x-tollway-deployment"] == "b"
    with pytest.raises(openai.NotFoundError):
        client_for(gateway).chat.completions.create(model="a", messages=MESSAGES, extra_body={"fallbacks": ["zz"]})


def test_a_dead_only_deployment_is_cooled_down_and_skipped(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    dead, backup = upstreams(), upstreams()
    dead.queue.extend(Scripted(status=503, body={"error": {"message": "down"}}) for _ in range(10))
    gateway = start_gateway(
        {
            "model_list": [
                deployment("dead", dead, model_info={"id": "dead"}),
                deployment("backup", backup, model_info={"id": "backup"}),
            ],
            "router_settings": {"allowed_fails": 1, "cooldown_time": 60, "fallbacks": [{"dead": ["backup"]}]},
        }
    )
    client = client_for(gateway)
    for _ in range(3):
        raw = client.chat.completions.with_raw_response.create(model="dead", messages=MESSAGES)
        assert raw.headers["x-tollway-deployment"] == "backup"
    assert len(dead.requests) == 1  # cooled after its first failure: never called again
    assert len(backup.requests) == 3


def test_upstream_auth_failure_cools_at_once(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    bad, good = upstreams(), upstreams()
    bad.queue.extend(Scripted(status=401, body={"error": {"message": "bad key"}}) for _ in range(5))
    gateway = start_gateway(
        {
            "model_list": [
                deployment("m", bad, model_info={"id": "bad"}),
                deployment("m", good, model_info={"id": "good"}),
            ],
            "router_settings": {"allowed_fails": 5, "num_retries": 1, "routing_strategy": "least-busy"},
        }
    )
    client = client_for(gateway)
    answered = Counter(
        client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES).headers["x-tollway-deployment"]
        for _ in range(6)
    )
    assert answered == {"good": 6}
    assert len(bad.requests) <= 1


def test_context_window_fallback_before_the_call(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(
        {
            "model_list": [
                {
                    "model_name": "small",
                    "litellm_params": {"model": "mock/small"},
                    "model_info": {"id": "small", "max_input_tokens": 50},
                },
                {
                    "model_name": "large",
                    "litellm_params": {"model": "mock/large"},
                    "model_info": {"id": "large", "max_input_tokens": 100000},
                },
            ],
            "router_settings": {"context_window_fallbacks": [{"small": ["large"]}]},
        }
    )
    client = client_for(gateway)
    long_prompt = [{"role": "user", "content": "word " * 200}]
    raw = client.chat.completions.with_raw_response.create(model="small", messages=long_prompt)
    assert raw.headers["x-tollway-deployment"] == "large"
    assert (
        client.chat.completions.with_raw_response.create(model="small", messages=MESSAGES).headers[
            "x-tollway-deployment"
        ]
        == "small"
    )


def test_context_window_error_without_fallback_is_400(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(
        {
            "model_list": [
                {
                    "model_name": "small",
                    "litellm_params": {"model": "mock/small"},
                    "model_info": {"max_input_tokens": 10},
                }
            ]
        }
    )
    with pytest.raises(openai.BadRequestError) as info:
        client_for(gateway).chat.completions.create(model="small", messages=[{"role": "user", "content": "x " * 50}])
    assert info.value.code == "context_length_exceeded"


def test_upstream_context_error_takes_the_context_fallback(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    small, large = upstreams(), upstreams()
    small.queue.append(
        Scripted(
            status=400,
            body={"error": {"message": "maximum context length is 8192 tokens", "code": "context_length_exceeded"}},
        )
    )
    gateway = start_gateway(
        {
            "model_list": [deployment("small", small), deployment("large", large, model_info={"id": "large"})],
            "router_settings": {
                "num_retries": 3,
                "context_window_fallbacks": [{"small": ["large"]}],
                "fallbacks": [{"small": ["nonexistent"]}],
            },
        }
    )
    raw = client_for(gateway).chat.completions.with_raw_response.create(model="small", messages=MESSAGES)
    assert raw.headers["x-tollway-deployment"] == "large" and len(small.requests) == 1


def test_content_policy_fallback(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    strict, lenient = upstreams(), upstreams()
    strict.queue.append(Scripted(status=400, body={"error": {"message": "flagged", "code": "content_filter"}}))
    gateway = start_gateway(
        {
            "model_list": [deployment("strict", strict), deployment("lenient", lenient, model_info={"id": "lenient"})],
            "router_settings": {"content_policy_fallbacks": [{"strict": ["lenient"]}]},
        }
    )
    raw = client_for(gateway).chat.completions.with_raw_response.create(model="strict", messages=MESSAGES)
    assert raw.headers["x-tollway-deployment"] == "lenient"


def test_a_stalled_stream_falls_back_before_its_first_byte(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    stalled, backup = upstreams(), upstreams()
    stalled.queue.append(Scripted(delay=3.0))
    gateway = start_gateway(
        {
            "model_list": [
                deployment("s", stalled, stream_timeout=0.3, model_info={"id": "stalled"}),
                deployment("b", backup, model_info={"id": "backup"}),
            ],
            "router_settings": {"fallbacks": [{"s": ["b"]}]},
        }
    )
    response = client_for(gateway).chat.completions.with_raw_response.create(model="s", messages=MESSAGES, stream=True)
    assert response.headers["x-tollway-deployment"] == "backup"
    text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text.strip() == "echo: hello"


def test_weighted_shuffle_within_statistical_bounds(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(
        {
            "model_list": [
                {"model_name": "w", "litellm_params": {"model": "mock/a", "weight": 1}, "model_info": {"id": "light"}},
                {"model_name": "w", "litellm_params": {"model": "mock/b", "weight": 3}, "model_info": {"id": "heavy"}},
            ]
        }
    )
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    body = {"model": "w", "messages": MESSAGES}
    with httpx.Client(base_url=gateway.url, headers=headers) as http:
        picks = Counter(
            http.post("/v1/chat/completions", json=body).headers["x-tollway-deployment"] for _ in range(400)
        )
    share = picks["heavy"] / 400  # expected 0.75, sigma ~0.022: five sigma either side
    assert 0.64 < share < 0.86, picks


def test_latency_based_routing_prefers_the_fast_deployment(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    slow, fast = upstreams(), upstreams()
    slow.queue.extend(Scripted(delay=0.3) for _ in range(50))
    gateway = start_gateway(
        {
            "model_list": [
                deployment("m", slow, model_info={"id": "slow"}),
                deployment("m", fast, model_info={"id": "fast"}),
            ],
            "router_settings": {"routing_strategy": "latency-based-routing"},
        }
    )
    client = client_for(gateway)
    picks = Counter(
        client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES).headers["x-tollway-deployment"]
        for _ in range(8)
    )
    assert picks["slow"] == 1 and picks["fast"] == 7  # each measured once, then the fast one wins


def test_health_probes_every_deployment(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    good, bad = upstreams(), upstreams()
    bad.queue.append(Scripted(status=500, body={"error": {"message": "nope"}}))
    gateway = start_gateway(
        {
            "model_list": [
                deployment("good", good, model_info={"id": "g"}),
                deployment("bad", bad, model_info={"id": "b"}),
                {
                    "model_name": "emb",
                    "litellm_params": {"model": "mock/e"},
                    "model_info": {"id": "e", "mode": "embedding"},
                },
            ]
        }
    )
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    report = httpx.get(f"{gateway.url}/health", headers=headers).json()
    assert {e["deployment"] for e in report["healthy_endpoints"]} == {"g", "e"}
    assert [e["deployment"] for e in report["unhealthy_endpoints"]] == ["b"]
    assert "k" not in str(report["unhealthy_endpoints"][0].get("api_key", ""))
    again = httpx.get(f"{gateway.url}/health", headers=headers).json()
    assert again == report and len(bad.requests) == 1  # cached briefly
    assert httpx.get(f"{gateway.url}/health").status_code == 401


def test_cost_based_routing_uses_the_price_catalog(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    dear, cheap = upstreams(), upstreams()
    gateway = start_gateway({
        "model_list": [  # no price overrides: only the bundled catalog knows gpt-4o costs more than gpt-4o-mini
            {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "api_base": dear.base_url, "api_key": "k"},
             "model_info": {"id": "dear"}},
            {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": cheap.base_url,
                                                   "api_key": "k"}, "model_info": {"id": "cheap"}},
        ],
        "router_settings": {"routing_strategy": "cost-based-routing"},
    })
    client = client_for(gateway)
    picks = Counter(client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
                    .headers["x-tollway-deployment"] for _ in range(5))
    assert picks == {"cheap": 5} and not dear.requests
