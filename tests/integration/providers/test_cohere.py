"""``cohere/...`` deployments through the running app and the official openai SDK, against a fake
Cohere v2 API (``/v2/chat`` JSON + SSE, ``/v2/embed``) on a loopback socket."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.cohere_upstream import API_KEY, FakeCohere
from tests.fakes.openai_upstream import Scripted
from tests.support.servers import serve_app

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeCohere, str]]:
    fake = FakeCohere()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeCohere, str]) -> Iterator[FakeCohere]:
    fake, _ = _server
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway, _server, upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    _, url = _server
    gateway = start_gateway({"model_list": [
        {"model_name": "command", "litellm_params": {"model": "cohere/command-a-03-2025", "api_base": url,
                                                     "api_key": API_KEY}},
        {"model_name": "command-bad-key", "litellm_params": {"model": "cohere/command-a-03-2025", "api_base": url,
                                                             "api_key": "wrong"}},
        {"model_name": "embed", "litellm_params": {"model": "cohere/embed-v4.0", "api_base": url, "api_key": API_KEY,
                                                   "input_type": "search_query"}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_usage_and_parameters(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(
        model="command", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0.3, top_p=0.8, stop=["END"], seed=3, max_tokens=64,
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 11 and completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == 16
    sent = upstream.requests[0]
    assert sent["model"] == "command-a-03-2025" and sent["messages"][0] == {"role": "system", "content": "be brief"}
    assert (sent["temperature"], sent["p"], sent["stop_sequences"], sent["seed"], sent["max_tokens"]) == (
        0.3, 0.8, ["END"], 3, 64)
    assert upstream.headers[0]["authorization"] == f"Bearer {API_KEY}"


def test_max_tokens_finish_reason_and_reasoning(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="command", messages=[{"role": "user", "content": "a"}],
                                                max_tokens=2, reasoning_effort="medium")
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.model_extra["reasoning_content"] == "Let me think."
    assert upstream.requests[0]["thinking"] == {"type": "enabled", "token_budget": 8192}


def test_vision_parts_are_sent_as_image_url(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="command", messages=[{"role": "user", "content": [
        {"type": "text", "text": "describe"}, {"type": "image_url", "image_url": {"url": PNG}}]}])
    assert completion.choices[0].message.content == "echo: describe"
    assert upstream.requests[0]["messages"][0]["content"][1] == {"type": "image_url", "image_url": {"url": PNG}}


def test_json_schema_response_format(client, upstream) -> None:  # type: ignore[no-untyped-def]
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    client.chat.completions.create(model="command", messages=[{"role": "user", "content": "json"}],
                                   response_format={"type": "json_schema",
                                                    "json_schema": {"name": "x", "schema": schema}})
    assert upstream.requests[0]["response_format"] == {"type": "json_object", "json_schema": schema}


def test_stream_text_with_usage(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="command", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert {c.id for c in chunks} == {"cohere-resp-1"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == "echo: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 10
    assert sum(1 for c in chunks if c.usage) == 1


def test_tool_call_round_trip(client, upstream) -> None:  # type: ignore[no-untyped-def]
    first = client.chat.completions.create(
        model="command", messages=[{"role": "user", "content": "weather in Paris?"}], tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    message = first.choices[0].message
    call = message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.id == "get_weather_abc123" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert message.content == "I will look up the weather."
    assert upstream.requests[0]["tool_choice"] == "REQUIRED"
    second = client.chat.completions.create(model="command", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather in Paris?"}, message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ])
    assert second.choices[0].message.content == "echo: sunny, 21C"
    sent = upstream.requests[1]["messages"]
    assert sent[1] == {"role": "assistant", "tool_plan": "I will look up the weather.", "tool_calls": [
        {"id": call.id, "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
    assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"}


def test_streamed_tool_call(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="command", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL], stream=True,
        tool_choice="required",
    ))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id == "get_weather_abc123" and deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == (
        "I will look up the weather.")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_mid_stream_error_ends_with_an_error_event(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(stream_error_after=3))
    stream = client.chat.completions.create(model="command", messages=[{"role": "user", "content": "a b c d"}],
                                            stream=True)
    with pytest.raises(openai.APIError, match="internal model failure"):
        list(stream)


def test_rate_limit_with_retry_after(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(429, {"id": "e", "message": "You are using a Trial key, which is limited to "
                                         "10 API calls / minute."}, {"retry-after": "30"}))
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="command", messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "30"


def test_context_window_exceeded(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(400, {"id": "e", "message": "too many tokens: total number of tokens in the "
                                         "prompt cannot exceed 256000 - received 300000. Try using a shorter prompt"}))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="command", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "context_length_exceeded"


def test_upstream_auth_failure_is_not_the_callers(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="command-bad-key", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 502 and info.value.code == "upstream_auth_error"


def test_embeddings(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="embed", input=["a b", "c"], dimensions=8)  # SDK asks for base64
    assert [d.index for d in result.data] == [0, 1]
    assert result.data[0].embedding == [0.25] * 8 and result.data[1].embedding == [0.5] * 8
    assert result.usage.prompt_tokens == 3
    assert upstream.requests[0] == {"model": "embed-v4.0", "texts": ["a b", "c"], "input_type": "search_query",
                                    "embedding_types": ["float"], "output_dimension": 8}
    floats = client.embeddings.create(model="embed", input="x", encoding_format="float")
    assert floats.data[0].embedding == [0.25] * 4
