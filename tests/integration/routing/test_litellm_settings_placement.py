"""Router keys under ``litellm_settings`` (LiteLLM's module-wide defaults) work through the running app,
and ``router_settings`` wins when both set one."""

from __future__ import annotations

from tests.fakes.openai_upstream import Scripted
from tests.integration.routing.test_router import MESSAGES, client_for, deployment, upstreams

__all__ = ["upstreams"]

DOWN = {"error": {"message": "down"}}


def test_litellm_settings_fallbacks_and_retries(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    primary, backup = upstreams(), upstreams()
    primary.queue.extend(Scripted(status=500, body=DOWN) for _ in range(2))
    gateway = start_gateway({
        "model_list": [deployment("primary", primary, model_info={"id": "p"}),
                       deployment("backup", backup, model_info={"id": "b"})],
        "router_settings": {"retry_backoff_base": 0.01},
        "litellm_settings": {"num_retries": 1, "fallbacks": [{"primary": ["backup"]}]},
    })
    raw = client_for(gateway).chat.completions.with_raw_response.create(model="primary", messages=MESSAGES)
    assert raw.status_code == 200 and raw.parse().choices[0].message.content == "echo: hello"
    assert len(primary.requests) == 2 and len(backup.requests) == 1
    assert raw.headers["x-tollway-deployment"] == "b"


def test_router_settings_win_over_litellm_settings(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    primary, chosen, ignored = upstreams(), upstreams(), upstreams()
    primary.queue.append(Scripted(status=503, body=DOWN))
    gateway = start_gateway({
        "model_list": [deployment("primary", primary, model_info={"id": "p"}),
                       deployment("chosen", chosen, model_info={"id": "c"}),
                       deployment("ignored", ignored, model_info={"id": "i"})],
        "router_settings": {"num_retries": 0, "fallbacks": [{"primary": ["chosen"]}]},
        "litellm_settings": {"num_retries": 3, "fallbacks": [{"primary": ["ignored"]}]},
    })
    raw = client_for(gateway).chat.completions.with_raw_response.create(model="primary", messages=MESSAGES)
    assert raw.headers["x-tollway-deployment"] == "c"
    assert len(primary.requests) == 1 and len(ignored.requests) == 0


def test_litellm_settings_context_window_fallbacks(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    small, large = upstreams(), upstreams()
    gateway = start_gateway({
        "model_list": [deployment("small", small, model_info={"id": "s", "max_input_tokens": 5}),
                       deployment("large", large, model_info={"id": "l"})],
        "litellm_settings": {"context_window_fallbacks": [{"small": ["large"]}]},
    })
    long = [{"role": "user", "content": "word " * 200}]
    raw = client_for(gateway).chat.completions.with_raw_response.create(model="small", messages=long)
    assert raw.status_code == 200 and raw.headers["x-tollway-deployment"] == "l"
    assert len(small.requests) == 0 and len(large.requests) == 1


def test_litellm_settings_allowed_fails_and_cooldown_time(start_gateway, upstreams) -> None:  # type: ignore[no-untyped-def]
    primary, backup = upstreams(), upstreams()
    primary.queue.append(Scripted(status=500, body=DOWN))
    gateway = start_gateway({
        "model_list": [deployment("primary", primary, model_info={"id": "p"}),
                       deployment("backup", backup, model_info={"id": "b"})],
        "litellm_settings": {"allowed_fails": 1, "cooldown_time": 600, "fallbacks": [{"primary": ["backup"]}]},
    })
    client = client_for(gateway)
    for _ in range(3):
        raw = client.chat.completions.with_raw_response.create(model="primary", messages=MESSAGES)
        assert raw.headers["x-tollway-deployment"] == "b"
    assert len(primary.requests) == 1  # cooled after its one allowed failure, for cooldown_time
    assert len(backup.requests) == 3
