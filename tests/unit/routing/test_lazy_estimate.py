"""The prompt estimate is paid only by groups that declare a context window, and at most once."""

from __future__ import annotations

from tollway.api.context import RequestContext
from tollway.config.loader import parse_config
from tollway.routing.router import Router


async def _answer(deployment: object) -> str:
    return "ok"


async def test_no_estimate_without_max_input_tokens() -> None:
    router = Router(parse_config({"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}]}))

    def estimate() -> int:
        raise AssertionError("estimated a prompt for a group without max_input_tokens")

    result, _ = await router.run(router.group("m"), RequestContext(request_id="r"), _answer, prompt_tokens=estimate)
    assert result == "ok"


async def test_estimated_once_across_fallback_groups() -> None:
    router = Router(parse_config({
        "model_list": [
            {"model_name": "a", "litellm_params": {"model": "mock/a"}, "model_info": {"max_input_tokens": 10}},
            {"model_name": "b", "litellm_params": {"model": "mock/b"}, "model_info": {"max_input_tokens": 20}},
            {"model_name": "c", "litellm_params": {"model": "mock/c"}, "model_info": {"max_input_tokens": 99}},
        ],
        "router_settings": {"context_window_fallbacks": [{"a": ["b", "c"]}]},
    }))
    calls = []

    def estimate() -> int:
        calls.append(1)
        return 50

    _, deployment = await router.run(router.group("a"), RequestContext(request_id="r"), _answer, prompt_tokens=estimate)
    assert deployment.model_name == "c" and calls == [1]
