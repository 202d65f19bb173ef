"""``/v1/messages`` in front of any model, driven by the official ``anthropic`` SDK."""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

from tests.conftest import MASTER_KEY

WEATHER = {"name": "get_weather", "description": "Weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}


@pytest.fixture
def gateway(start_gateway, openai_upstream):  # type: ignore[no-untyped-def]
    return start_gateway({"model_list": [
        {"model_name": "claude-opus-4-7", "litellm_params": {"model": "openai/gpt-4o", "api_key": "k",
                                                               "api_base": openai_upstream.base_url}},
        {"model_name": "mocky", "litellm_params": {"model": "mock/m", "mock_response": "two words"}},
    ]})


@pytest.fixture
def client(gateway) -> anthropic.Anthropic:  # type: ignore[no-untyped-def]
    return anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)


def test_message_round_trip(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    message = client.messages.create(
        model="claude-opus-4-7", max_tokens=100, system="be terse",
        messages=[{"role": "user", "content": [{"type": "text", "text": "hi there",
                                                "cache_control": {"type": "ephemeral"}}]}],
        stop_sequences=["END"], extra_body={"temperature": 0.5},
    )
    assert message.content[0].type == "text" and message.content[0].text == "echo: hi there"
    assert message.stop_reason == "end_turn" and message.role == "assistant"
    assert message.usage.cache_read_input_tokens == 2
    sent = openai_upstream.requests[0]
    assert sent["messages"][0] == {"role": "system", "content": "be terse"}
    assert sent["messages"][1]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert sent["max_tokens"] == 100 and sent["stop"] == ["END"] and sent["temperature"] == 0.5


def test_tool_use_round_trip(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    first = client.messages.create(model="claude-opus-4-7", max_tokens=50, tools=[WEATHER],
                                   tool_choice={"type": "tool", "name": "get_weather"},
                                   messages=[{"role": "user", "content": "weather in Paris?"}])
    use = first.content[0]
    assert first.stop_reason == "tool_use" and use.type == "tool_use" and use.input == {"city": "Paris"}
    second = client.messages.create(model="claude-opus-4-7", max_tokens=50, tools=[WEATHER], messages=[
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}]},
    ])
    assert second.content[0].text == "echo: sunny"
    sent = openai_upstream.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert sent[2] == {"role": "tool", "tool_call_id": use.id, "content": "sunny"}
    assert openai_upstream.requests[0]["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


def test_streaming_text_and_usage(client) -> None:  # type: ignore[no-untyped-def]
    with client.messages.stream(model="claude-opus-4-7", max_tokens=50,
                                messages=[{"role": "user", "content": "one two"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.strip() == "echo: one two"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 5


def test_streaming_tool_use(client) -> None:  # type: ignore[no-untyped-def]
    with client.messages.stream(model="claude-opus-4-7", max_tokens=50, tools=[WEATHER],
                                tool_choice={"type": "tool", "name": "get_weather"},
                                messages=[{"role": "user", "content": "weather?"}]) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "tool_use" and final.content[0].input == {"city": "Paris"}


def test_any_model_behind_it_and_count_tokens(client) -> None:  # type: ignore[no-untyped-def]
    message = client.messages.create(model="mocky", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert message.content[0].text == "two words"
    count = client.messages.count_tokens(model="mocky", messages=[{"role": "user", "content": "hello world"}])
    assert count.input_tokens > 0


def test_errors_come_in_anthropics_envelope(client, gateway) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="nope", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=gateway.url, api_key="bad", max_retries=0).messages.create(
            model="mocky", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    response = httpx.post(f"{gateway.url}/v1/messages", headers={"x-api-key": MASTER_KEY},
                          json={"model": "mocky", "messages": [{"role": "user", "content": "x"}]})
    body = response.json()
    assert response.status_code == 400 and body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error" and "max_tokens" in body["error"]["message"]
    assert json.loads(response.text)["error"]["param"] == "max_tokens"
