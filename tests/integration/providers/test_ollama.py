"""``ollama/...`` deployments through the running app and the official openai SDK, against a fake
Ollama server speaking the native ``/api/chat`` (JSON and NDJSON) and ``/api/embed`` protocol."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.ollama_upstream import FakeOllama, OllamaScript
from tests.support.servers import serve_app

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeOllama, str]]:
    fake = FakeOllama()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeOllama, str]) -> Iterator[FakeOllama]:
    fake, _ = _server
    fake.reset()
    yield fake
    fake.reset()


def _gateway(start_gateway, url: str, **settings):  # type: ignore[no-untyped-def]
    return start_gateway({
        "model_list": [
            {"model_name": "llama", "litellm_params": {"model": "ollama/llama3.2", "api_base": url,
                                                       "num_ctx": 8192, "keep_alive": "10m"}},
            {"model_name": "qwen", "litellm_params": {"model": "ollama/qwen3:8b", "api_base": f"{url}/",
                                                      "api_key": "ollama-cloud-secret"}},
            {"model_name": "embed", "litellm_params": {"model": "ollama/nomic-embed-text", "api_base": url}},
        ],
        **settings,
    })


@pytest.fixture
def client(start_gateway, _server) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    gateway = _gateway(start_gateway, _server[1])
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_maps_options_and_usage(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(
        model="llama", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0.2, top_p=0.9, seed=7, max_tokens=50, stop="END", presence_penalty=0.5,
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 14 and completion.usage.completion_tokens == 3
    assert completion.usage.total_tokens == 17
    sent = upstream.requests[0]
    assert sent["model"] == "llama3.2" and sent["stream"] is False and sent["keep_alive"] == "10m"
    assert sent["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}]
    assert sent["options"] == {"temperature": 0.2, "top_p": 0.9, "seed": 7, "stop": ["END"],
                               "presence_penalty": 0.5, "num_predict": 50, "num_ctx": 8192}
    assert "authorization" not in upstream.headers[0]


def test_length_finish_reason(client) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="llama", max_completion_tokens=2,
                                                messages=[{"role": "user", "content": "a b c d"}])
    assert completion.choices[0].message.content == "echo: a"
    assert completion.choices[0].finish_reason == "length"


def test_stream_text_with_usage(client, upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="qwen", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 13
    assert chunks[-1].usage.completion_tokens == 4
    assert upstream.requests[0]["stream"] is True
    assert upstream.headers[0]["authorization"] == "Bearer ollama-cloud-secret"


def test_tool_round_trip(client, upstream) -> None:  # type: ignore[no-untyped-def]
    first = client.chat.completions.create(model="llama", tools=[WEATHER_TOOL], tool_choice="auto",
                                           messages=[{"role": "user", "content": "weather in Paris and Lyon?"}])
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls"
    assert [json.loads(c.function.arguments) for c in calls] == [{"city": "Paris"}, {"city": "Lyon"}]
    assert calls[0].id != calls[1].id and all(c.id.startswith("call_") for c in calls)
    assert upstream.requests[0]["tools"] == [WEATHER_TOOL]
    second = client.chat.completions.create(model="llama", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather in Paris and Lyon?"},
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"},
        {"role": "tool", "tool_call_id": calls[1].id, "content": "rainy"},
    ])
    assert second.choices[0].message.content == "echo: rainy"
    sent = upstream.requests[1]["messages"]
    assert sent[1]["tool_calls"][0] == {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    assert sent[2] == {"role": "tool", "content": "sunny", "tool_name": "get_weather"}


def test_streamed_tool_calls(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(model="llama", tools=[WEATHER_TOOL], stream=True,
                                                 messages=[{"role": "user", "content": "weather?"}]))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [d.index for d in deltas] == [0, 1]
    assert [json.loads(d.function.arguments) for d in deltas] == [{"city": "Paris"}, {"city": "Lyon"}]
    assert all(d.id and d.function.name == "get_weather" for d in deltas)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_vision_json_mode_and_reasoning(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="qwen", reasoning_effort="low", messages=[
        {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                     {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
    ])
    assert completion.choices[0].message.content == "echo: what is this? [1 image(s)]"
    assert completion.choices[0].message.model_extra["reasoning_content"] == "Let me think."
    sent = upstream.requests[0]
    assert sent["messages"][0]["images"] == [PNG] and sent["think"] is True
    schema = {"type": "object", "properties": {"echo": {"type": "string"}}}
    structured = client.chat.completions.create(
        model="llama", messages=[{"role": "user", "content": "x"}],
        response_format={"type": "json_schema", "json_schema": {"name": "e", "schema": schema}},
    )
    assert json.loads(structured.choices[0].message.content) == {"echo": "x"}
    assert upstream.requests[1]["format"] == schema
    client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "x"}],
                                   response_format={"type": "json_object"})
    assert upstream.requests[2]["format"] == "json"


def test_streamed_reasoning(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(model="qwen", reasoning_effort="high", stream=True,
                                                 messages=[{"role": "user", "content": "hm"}]))
    thinking = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
                       for c in chunks if c.choices)
    assert thinking == "Let me think."


def test_embeddings(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="embed", input=["a b", "c"], dimensions=4)
    assert [d.index for d in result.data] == [0, 1] and result.data[1].embedding == [0.5] * 4
    assert result.usage.prompt_tokens == 3 and result.model == "nomic-embed-text"
    assert upstream.requests[0] == {"model": "nomic-embed-text", "input": ["a b", "c"], "dimensions": 4}
    encoded = client.embeddings.create(model="embed", input="x", encoding_format="base64")
    raw = base64.b64decode(encoded.data[0].embedding)  # type: ignore[arg-type]
    assert struct.unpack("<3f", raw) == (0.25, 0.25, 0.25)


@pytest.mark.parametrize(("status", "message", "exception", "code"), [
    (404, 'model "llama3.2" not found, try pulling it first', openai.InternalServerError, "upstream_not_found"),
    (400, "input length exceeds the context length", openai.BadRequestError, "context_length_exceeded"),
    (400, "registry.ollama.ai/library/llama3.2 does not support tools", openai.BadRequestError, None),
    (429, "too many requests", openai.RateLimitError, "rate_limit_exceeded"),
    (500, "llama runner process has terminated", openai.InternalServerError, None),
])
def test_errors_are_mapped(client, upstream, status, message, exception, code) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(OllamaScript(status=status, body={"error": message}, headers={"retry-after": "3"}))
    with pytest.raises(exception) as info:
        client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == code
    if status == 429:
        assert info.value.response.headers["retry-after"] == "3"
    if status == 404:
        assert info.value.status_code == 502


def test_error_before_stream_keeps_its_status(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(OllamaScript(status=400, body={"error": "prompt is too long for the context window"}))
    with pytest.raises(openai.BadRequestError) as info:
        list(client.chat.completions.create(model="llama", stream=True,
                                            messages=[{"role": "user", "content": "x"}]))
    assert info.value.code == "context_length_exceeded"


def test_error_mid_stream_is_an_error_event(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(OllamaScript(stream_error_after=2))
    with pytest.raises(openai.APIError) as info:
        list(client.chat.completions.create(model="llama", stream=True,
                                            messages=[{"role": "user", "content": "a b c d"}]))
    assert "an error was encountered while running the model" in info.value.message


def test_forcing_a_tool_is_rejected_unless_dropped(start_gateway, _server, upstream) -> None:  # type: ignore[no-untyped-def]
    strict = openai.OpenAI(base_url=_gateway(start_gateway, _server[1]).base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        strict.chat.completions.create(model="llama", tools=[WEATHER_TOOL], tool_choice="required",
                                       messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "tool_choice" and upstream.requests == []
    with pytest.raises(openai.BadRequestError) as info:
        strict.chat.completions.create(model="llama", logprobs=True, messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "logprobs"
    lenient = _gateway(start_gateway, _server[1], litellm_settings={"drop_params": True})
    relaxed = openai.OpenAI(base_url=lenient.base_url, api_key=MASTER_KEY, max_retries=0)
    completion = relaxed.chat.completions.create(model="llama", tools=[WEATHER_TOOL], tool_choice="required",
                                                 logprobs=True, messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].finish_reason == "tool_calls"
    assert "logprobs" not in upstream.requests[-1] and "tool_choice" not in upstream.requests[-1]
