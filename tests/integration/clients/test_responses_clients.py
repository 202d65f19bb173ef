"""The Responses API as real clients use it: the OpenAI Agents SDK's default model and pydantic-ai's
``OpenAIResponsesModel``, through the gateway to a (translated) Anthropic fake on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.support.servers import serve_app


@pytest.fixture(scope="module")
def _anthropic() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def base_url(start_gateway, _anthropic) -> str:  # type: ignore[no-untyped-def]
    _anthropic[0].reset()
    gateway = start_gateway({"model_list": [
        {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5", "api_base": _anthropic[1],
                                                    "api_key": "sk-ant-up"}}]})
    return str(gateway.base_url)


async def test_openai_agents_sdk_runs_a_tool_to_completion(base_url, _anthropic) -> None:  # type: ignore[no-untyped-def]
    from agents import Agent, ModelSettings, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    calls: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """The weather for a city."""
        calls.append(city)
        return f"sunny in {city}"

    client = AsyncOpenAI(base_url=base_url, api_key=MASTER_KEY, max_retries=0)
    agent = Agent(name="weather", instructions="Answer with the tool.", tools=[get_weather],
                  model=OpenAIResponsesModel(model="claude", openai_client=client),
                  model_settings=ModelSettings(tool_choice="get_weather"))
    result = await Runner.run(agent, "weather in Paris?", max_turns=4)
    assert len(calls) == 1
    assert result.final_output == f"echo: sunny in {calls[0]}"
    fake = _anthropic[0]
    assert fake.requests[0]["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert fake.requests[1]["messages"][-1]["content"][0]["type"] == "tool_result"


def test_pydantic_ai_responses_model(base_url) -> None:  # type: ignore[no-untyped-def]
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIResponsesModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIResponsesModel("claude", provider=OpenAIProvider(base_url=base_url, api_key=MASTER_KEY))
    result = Agent(model, instructions="be brief").run_sync("hello from pydantic")
    assert result.output == "echo: hello from pydantic"
