"""``anthropic/...`` deployments through the running app and the official openai SDK, against a
fake Anthropic Messages API on a loopback socket."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import SIGNATURE, FakeAnthropic, Scripted
from tests.support.servers import serve_app

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeAnthropic, str]) -> Iterator[FakeAnthropic]:
    fake, _ = _server
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway, _server) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    _, url = _server
    gateway = start_gateway({"model_list": [
        {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5", "api_base": url,
                                                    "api_key": "sk-ant-upstream-secret"}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_usage_and_headers(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(
        model="claude", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0.3, stop="END",
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 11 and completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == 16
    sent, headers = upstream.requests[0], upstream.headers[0]
    assert sent["model"] == "claude-sonnet-4-5" and sent["max_tokens"] == 4096
    assert sent["system"] == [{"type": "text", "text": "be brief"}]
    assert sent["stop_sequences"] == ["END"] and sent["temperature"] == 0.3
    assert headers["x-api-key"] == "sk-ant-upstream-secret" and headers["anthropic-version"] == "2023-06-01"


def test_stream_text_with_usage(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 11
    assert chunks[-1].usage.completion_tokens == 5


def test_streamed_tool_call(client, upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL], stream=True,
        tool_choice="required",
    ))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id == "toolu_fake1" and deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert upstream.requests[0]["tool_choice"] == {"type": "any"}


def test_tool_round_trip(client, upstream) -> None:  # type: ignore[no-untyped-def]
    first = client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "weather in Paris?"}], tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, parallel_tool_calls=False,
    )
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and json.loads(call.function.arguments) == {"city": "Paris"}
    second = client.chat.completions.create(model="claude", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather in Paris?"},
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ])
    assert second.choices[0].message.content == "echo: sunny, 21C"
    assert upstream.requests[0]["tool_choice"] == {"type": "tool", "name": "get_weather",
                                                   "disable_parallel_tool_use": True}
    sent = upstream.requests[1]["messages"]
    assert sent[1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_fake1", "name": "get_weather", "input": {"city": "Paris"}}]}
    assert sent[2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_fake1", "content": "sunny, 21C"}]}


def test_vision_data_uri(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="claude", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]}])
    assert completion.choices[0].message.content == "echo: what is this? [1 image(s)]"
    image = upstream.requests[0]["messages"][0]["content"][1]
    assert image == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}


def test_reasoning_comes_back_as_reasoning_content(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="claude", reasoning_effort="low",
                                                messages=[{"role": "user", "content": "why?"}])
    message = completion.choices[0].message
    assert message.reasoning_content == "Let me think step by step."  # type: ignore[attr-defined]
    assert message.thinking_blocks[0]["signature"] == SIGNATURE  # type: ignore[attr-defined]
    assert upstream.requests[0]["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    chunks = list(client.chat.completions.create(model="claude", reasoning_effort="low", stream=True,
                                                 messages=[{"role": "user", "content": "why?"}]))
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    assert reasoning == "Let me think step by step."


def test_cache_control_passes_through_and_cached_tokens_are_reported(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="claude", messages=[
        {"role": "system", "content": [{"type": "text", "text": "long policy",
                                        "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "content": "question"},
    ])
    usage = completion.usage
    assert usage.prompt_tokens == 11 + 100 + 20
    assert usage.prompt_tokens_details.cached_tokens == 100
    assert usage.prompt_tokens_details.cache_creation_tokens == 20  # type: ignore[attr-defined]
    assert upstream.requests[0]["system"] == [{"type": "text", "text": "long policy",
                                               "cache_control": {"type": "ephemeral"}}]


def test_json_schema_uses_native_structured_output(client, upstream) -> None:  # type: ignore[no-untyped-def]
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"],
              "additionalProperties": False}
    client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}],
                                   response_format={"type": "json_schema",
                                                    "json_schema": {"name": "thing", "schema": schema}})
    assert upstream.requests[0]["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


def test_unsupported_parameter_is_a_400_naming_it(client, upstream) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}],
                                       frequency_penalty=0.5)
    assert info.value.param == "frequency_penalty" and info.value.code == "unsupported_parameter"
    assert upstream.requests == []


@pytest.mark.parametrize(("status", "body", "headers", "exception", "code", "gateway_status"), [
    (429, {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded"}},
     {"retry-after": "7"}, openai.RateLimitError, "rate_limit_exceeded", 429),
    (400, {"type": "error", "error": {"type": "invalid_request_error",
                                      "message": "prompt is too long: 210000 tokens > 200000 maximum"}},
     {}, openai.BadRequestError, "context_length_exceeded", 400),
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     {}, openai.InternalServerError, None, 503),
    (401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
     {}, openai.InternalServerError, "upstream_auth_error", 502),
])
def test_errors_are_mapped(client, upstream, status, body, headers, exception, code, gateway_status) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(status=status, body=body, headers=headers))
    with pytest.raises(exception) as info:
        client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == gateway_status and info.value.code == code
    assert "sk-ant-upstream-secret" not in json.dumps(info.value.body)
    if status == 429:
        assert info.value.response.headers["retry-after"] == "7"


def test_error_event_mid_stream_ends_the_stream_with_an_error(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(stream_error_after=4))
    stream = client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "a b c d"}],
                                            stream=True)
    with pytest.raises(openai.APIError) as info:
        list(stream)
    assert "Overloaded" in info.value.message
