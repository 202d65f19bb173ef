"""Legacy ``functions``/``function_call`` through the openai SDK, on the mock and on an Anthropic upstream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.support.servers import serve_app

WEATHER = {"name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
ASK = [{"role": "user", "content": "What is the weather in Paris? Use get_weather."}]


@pytest.fixture(scope="module")
def anthropic_upstream() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def sdk(start_gateway: Any, anthropic_upstream: tuple[FakeAnthropic, str]) -> openai.OpenAI:
    anthropic_upstream[0].reset()
    gateway = start_gateway({"model_list": [
        {"model_name": "mock", "litellm_params": {"model": "mock/m"}},
        {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5",
                                                    "api_base": anthropic_upstream[1], "api_key": "sk-ant"}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


@pytest.mark.parametrize("model", ["mock", "claude"])
def test_function_call_round_trip(sdk: openai.OpenAI, model: str) -> None:
    first = sdk.chat.completions.create(model=model, messages=ASK, functions=[WEATHER],  # type: ignore[list-item]
                                        function_call={"name": "get_weather"})
    choice = first.choices[0]
    assert choice.finish_reason == "function_call" and choice.message.tool_calls is None
    call = choice.message.function_call
    assert call is not None and call.name == "get_weather" and "city" in json.loads(call.arguments)
    second = sdk.chat.completions.create(model=model, functions=[WEATHER], messages=[  # type: ignore[list-item]
        *ASK,
        {"role": "assistant", "content": None, "function_call": {"name": call.name, "arguments": call.arguments}},
        {"role": "function", "name": "get_weather", "content": "sunny, 21C"},
    ])
    assert second.choices[0].finish_reason == "stop"
    assert "sunny, 21C" in (second.choices[0].message.content or "")


def test_anthropic_upstream_receives_tools_and_tool_results(
        sdk: openai.OpenAI, anthropic_upstream: tuple[FakeAnthropic, str]) -> None:
    fake, _ = anthropic_upstream
    sdk.chat.completions.create(model="claude", messages=ASK, functions=[WEATHER],  # type: ignore[list-item]
                                function_call={"name": "get_weather"})
    sent = fake.requests[-1]
    assert sent["tools"][0]["name"] == "get_weather" and sent["tools"][0]["input_schema"] == WEATHER["parameters"]
    assert sent["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert "functions" not in sent and "function_call" not in sent
    sdk.chat.completions.create(model="claude", functions=[WEATHER], messages=[  # type: ignore[list-item]
        *ASK,
        {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": '{"city":"x"}'}},
        {"role": "function", "name": "get_weather", "content": "sunny"},
    ])
    use, result = fake.requests[-1]["messages"][1]["content"][0], fake.requests[-1]["messages"][2]["content"][0]
    assert use["type"] == "tool_use" and use["input"] == {"city": "x"}
    assert result["type"] == "tool_result" and result["tool_use_id"] == use["id"]


def test_streamed_function_call_deltas(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(model="mock", messages=ASK, functions=[WEATHER],  # type: ignore[list-item]
                                         function_call={"name": "get_weather"}, stream=True)
    name, arguments, finish = "", "", None
    for chunk in stream:
        for choice in chunk.choices:
            assert not choice.delta.tool_calls
            if choice.delta.function_call:
                name += choice.delta.function_call.name or ""
                arguments += choice.delta.function_call.arguments or ""
            finish = choice.finish_reason or finish
    assert name == "get_weather" and finish == "function_call"
    assert set(json.loads(arguments)) >= {"city"}


def test_function_call_without_functions_is_a_400(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        sdk.chat.completions.create(model="mock", messages=ASK, function_call="auto")
    assert info.value.body["param"] == "function_call"  # type: ignore[index]
