"""Golden translations for Cohere v2: OpenAI request -> /v2/chat body, answers and stream events -> OpenAI."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tollway.config.models import Deployment
from tollway.errors import (
    ContextWindowExceededError,
    GatewayTimeoutError,
    InternalError,
    InvalidRequestError,
    RateLimitError,
    UnsupportedParamError,
    UpstreamError,
)
from tollway.providers.base import CallSettings
from tollway.providers.cohere.adapter import CohereProvider
from tollway.providers.cohere.response import StreamState, stream_event
from tollway.providers.sse import SSEEvent
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

CITY = {"type": "object", "properties": {"city": {"type": "string"}}}
WEATHER = {"type": "function",
           "function": {"name": "get_weather", "description": "Weather for a city", "parameters": CITY}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


def provider(drop_params: bool = False, **params: Any) -> CohereProvider:
    deployment = Deployment.model_validate({"model_name": "command", "litellm_params": {
        "model": "cohere/command-a-03-2025", "api_key": "co-key", **params}})
    return CohereProvider(deployment, CallSettings(drop_params=drop_params))


async def build(
    body: dict[str, Any], *, stream: bool = False, **params: Any
) -> tuple[str, dict[str, Any], dict[str, str]]:
    upstream = await provider(**params).build_chat(ChatRequest.model_validate({"model": "command", **body}),
                                                   stream=stream)
    return upstream.url, upstream.json, upstream.headers


async def test_full_request_translation() -> None:
    url, body, headers = await build({
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"}},
            ]},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "assistant", "content": "It is sunny."},
            {"role": "developer", "content": [{"type": "text", "text": "answer in French"}]},
            {"role": "user", "content": "thanks"},
        ],
        "temperature": 0.3, "top_p": 0.9, "max_completion_tokens": 100, "stop": "END", "seed": 7,
        "frequency_penalty": 0.1, "presence_penalty": 0.2, "tools": [WEATHER], "tool_choice": "required",
        "response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}},
        "reasoning_effort": "low", "user": "u-1",
    }, stream=True, top_k=40)
    assert url == "https://api.cohere.com/v2/chat"
    assert headers == {"authorization": "Bearer co-key"}
    assert body == {
        "model": "command-a-03-2025",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"}},
            ]},
            {"role": "assistant", "tool_plan": "Let me check.", "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "assistant", "content": "It is sunny."},
            {"role": "system", "content": "answer in French"},
            {"role": "user", "content": "thanks"},
        ],
        "temperature": 0.3, "p": 0.9, "seed": 7, "frequency_penalty": 0.1, "presence_penalty": 0.2,
        "max_tokens": 100, "stop_sequences": ["END"], "k": 40, "tool_choice": "REQUIRED",
        "tools": [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "response_format": {"type": "json_object", "json_schema": {"type": "object"}},
        "thinking": {"type": "enabled", "token_budget": 2048},
        "stream": True,
    }


async def test_named_tool_choice_sends_only_that_tool_as_required() -> None:
    _, body, _ = await build({"messages": [{"role": "user", "content": "x"}], "tools": [WEATHER, TIME],
                              "tool_choice": {"type": "function", "function": {"name": "get_time"}}})
    assert body["tool_choice"] == "REQUIRED"
    assert [t["function"]["name"] for t in body["tools"]] == ["get_time"]
    assert body["tools"][0]["function"]["parameters"] == {"type": "object"}


async def test_tool_choice_none_auto_and_json_object() -> None:
    _, body, _ = await build({"messages": [{"role": "user", "content": "x"}], "tools": [WEATHER],
                              "tool_choice": "none", "response_format": {"type": "json_object"}})
    assert body["tool_choice"] == "NONE" and body["response_format"] == {"type": "json_object"}
    _, body, _ = await build({"messages": [{"role": "user", "content": "x"}], "tools": [WEATHER],
                              "tool_choice": "auto", "max_tokens": 5})
    assert "tool_choice" not in body and body["max_tokens"] == 5 and "stream" not in body
    _, body, _ = await build({"messages": [{"role": "user", "content": "x"}], "top_p": 1.0})
    assert body["p"] == 0.99


async def test_unsupported_parameters_are_400_unless_dropped() -> None:
    for extra in ({"logit_bias": {"1": 1}}, {"logprobs": True}, {"n": 2}, {"parallel_tool_calls": False}):
        with pytest.raises(UnsupportedParamError) as info:
            await build({"messages": [{"role": "user", "content": "x"}], **extra})
        assert info.value.param == next(iter(extra))
    _, body, _ = await build({"messages": [{"role": "user", "content": "x"}], "n": 2, "logprobs": True},
                             drop_params=True)
    assert "n" not in body and "logprobs" not in body


async def test_audio_content_and_unknown_named_tool_are_rejected() -> None:
    with pytest.raises(InvalidRequestError):
        await build({"messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]})
    with pytest.raises(InvalidRequestError):
        await build({"messages": [{"role": "user", "content": "x"}], "tools": [WEATHER],
                     "tool_choice": {"type": "function", "function": {"name": "nope"}}})


async def test_key_from_environment_and_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = Deployment.model_validate({"model_name": "c", "litellm_params": {
        "model": "cohere/command-r", "api_base": "http://127.0.0.1:9/"}})
    monkeypatch.delenv("COHERE_API_KEY", raising=False)
    monkeypatch.delenv("CO_API_KEY", raising=False)
    with pytest.raises(InternalError):
        await CohereProvider(deployment, CallSettings()).headers()
    monkeypatch.setenv("COHERE_API_KEY", "from-env")
    upstream = await CohereProvider(deployment, CallSettings()).build_chat(
        ChatRequest.model_validate({"model": "c", "messages": [{"role": "user", "content": "x"}]}), stream=False)
    assert upstream.url == "http://127.0.0.1:9/v2/chat" and upstream.headers["authorization"] == "Bearer from-env"


# ----------------------------------------------------------------------------- responses


def parse(data: dict[str, Any]) -> Any:
    request = ChatRequest.model_validate({"model": "command", "messages": [{"role": "user", "content": "x"}]})
    return provider().parse_chat(data, request)


def test_text_response_with_thinking_and_usage() -> None:
    response = parse({
        "id": "r1", "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "thinking", "thinking": "Hmm."},
                                                     {"type": "text", "text": "Hello"}]},
        "usage": {"billed_units": {"input_tokens": 10, "output_tokens": 4},
                  "tokens": {"input_tokens": 110, "output_tokens": 5}, "cached_tokens": 3},
    })
    choice = response.choices[0]
    assert response.id == "r1" and response.model == "command-a-03-2025"
    assert choice.message.content == "Hello" and choice.message.reasoning_content == "Hmm."
    assert choice.finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (10, 4, 14)
    assert response.usage.cached_tokens == 3


def test_tool_call_response_puts_the_plan_in_content() -> None:
    response = parse({
        "id": "r2", "finish_reason": "TOOL_CALL",
        "message": {"role": "assistant", "tool_plan": "I will check.", "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
            {"id": "t2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
        "usage": {"tokens": {"input_tokens": 8, "output_tokens": 2}},
    })
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content == "I will check."
    assert [(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls] == [
        ("t1", "get_weather", '{"city":"Rome"}'), ("t2", "get_time", "{}")]
    assert response.usage.prompt_tokens == 8 and response.usage.completion_tokens == 2


@pytest.mark.parametrize(("cohere", "openai"), [
    ("COMPLETE", "stop"), ("STOP_SEQUENCE", "stop"), ("MAX_TOKENS", "length"), ("TOOL_CALL", "tool_calls"),
    ("ERROR_TOXIC", "content_filter"), ("SOMETHING_NEW", "stop"),
])
def test_finish_reason_table(cohere: str, openai: str) -> None:
    response = parse({"id": "r", "finish_reason": cohere, "message": {"content": [{"type": "text", "text": "x"}]}})
    assert response.choices[0].finish_reason == openai


def test_error_finish_reasons_raise() -> None:
    with pytest.raises(UpstreamError):
        parse({"id": "r", "finish_reason": "ERROR", "message": {"content": []}})
    with pytest.raises(GatewayTimeoutError):
        parse({"id": "r", "finish_reason": "TIMEOUT", "message": {"content": []}})
    with pytest.raises(UpstreamError):
        parse({"unexpected": True})


# ----------------------------------------------------------------------------- stream


async def _events(*payloads: dict[str, Any]) -> AsyncIterator[SSEEvent]:
    for payload in payloads:
        yield SSEEvent(payload["type"], json.dumps(payload))


async def collect(*payloads: dict[str, Any]) -> list[dict[str, Any]]:
    request = ChatRequest.model_validate({"model": "command", "messages": [{"role": "user", "content": "x"}]})
    return [c.model_dump(exclude_none=True) async for c in provider().parse_stream(_events(*payloads), request)]


async def test_text_stream_with_thinking() -> None:
    chunks = await collect(
        {"type": "message-start", "id": "s1", "delta": {"message": {"role": "assistant"}}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "thinking", "thinking": ""}}}},
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"thinking": "Hmm."}}}},
        {"type": "content-end", "index": 0},
        {"type": "content-delta", "index": 1, "delta": {"message": {"content": {"text": "Hel"}}}},
        {"type": "content-delta", "index": 1, "delta": {"message": {"content": {"text": "lo"}}}},
        {"type": "message-end", "delta": {"finish_reason": "MAX_TOKENS",
                                          "usage": {"billed_units": {"input_tokens": 3, "output_tokens": 2}}}},
    )
    assert {c["id"] for c in chunks} == {"s1"}
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert deltas[1] == {"reasoning_content": "Hmm."}
    assert "".join(d.get("content", "") for d in deltas) == "Hello"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 5


async def test_tool_call_stream() -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    chunks = await collect(
        {"type": "message-start", "id": "s2"},
        {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will"}}},
        {"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": call}}},
        {"type": "tool-call-delta", "index": 0,
         "delta": {"message": {"tool_calls": {"function": {"arguments": "{}"}}}}},
        {"type": "tool-call-end", "index": 0},
        {"type": "tool-call-start", "index": 1, "delta": {"message": {"tool_calls": {**call, "id": "t2"}}}},
        {"type": "tool-call-end", "index": 1},
        {"type": "message-end", "delta": {"finish_reason": "TOOL_CALL", "usage": {}}},
    )
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[1] == {"content": "I will"}
    calls = [tc for d in deltas for tc in d.get("tool_calls", [])]
    assert calls[0] == {"index": 0, "id": "t1", "type": "function",
                        "function": {"name": "get_weather", "arguments": ""}}
    assert calls[1] == {"index": 0, "function": {"arguments": "{}"}}
    assert calls[2]["index"] == 1 and calls[2]["id"] == "t2"
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_stream_error_at_message_end_raises() -> None:
    with pytest.raises(UpstreamError, match="overloaded"):
        stream_event({"type": "message-end", "delta": {"finish_reason": "ERROR", "error": "overloaded"}},
                     StreamState("m"))
    assert stream_event({"type": "citation-start", "index": 0}, StreamState("m")) == []


# ----------------------------------------------------------------------------- embeddings and errors


async def test_embeddings_request_and_base64_response() -> None:
    p = provider(input_type="search_query")
    request = EmbeddingRequest(model="embed", input=["a", "b"], dimensions=256, encoding_format="base64")
    upstream = await p.build_embed(request)
    assert upstream.url == "https://api.cohere.com/v2/embed"
    assert upstream.json == {"model": "command-a-03-2025", "texts": ["a", "b"], "input_type": "search_query",
                             "embedding_types": ["float"], "output_dimension": 256}
    result = p.parse_embed({"embeddings": {"float": [[0.5, 1.0], [0.25, 2.0]]},
                            "meta": {"billed_units": {"input_tokens": 2}}}, request)
    assert struct.unpack("<2f", base64.b64decode(result.data[1].embedding)) == (0.25, 2.0)  # type: ignore[arg-type]
    assert result.usage.prompt_tokens == 2
    default = await provider().build_embed(EmbeddingRequest(model="e", input="x"))
    assert default.json["input_type"] == "search_document" and "output_dimension" not in default.json
    with pytest.raises(InvalidRequestError):
        await provider().build_embed(EmbeddingRequest(model="e", input=[1, 2, 3]))


def test_error_mapping() -> None:
    p = provider()
    limited = p.map_error(429, b'{"message": "trial key limited"}', httpx.Headers({"retry-after": "7"}))
    assert isinstance(limited, RateLimitError) and limited.retry_after == 7
    too_long = p.map_error(400, b'{"id": "x", "message": "too many tokens: total number of tokens in the prompt '
                                b'cannot exceed 4081 - received 5000"}', httpx.Headers())
    assert isinstance(too_long, ContextWindowExceededError) and too_long.code == "context_length_exceeded"
    denied = p.map_error(401, b'{"message": "invalid api token"}', httpx.Headers())
    assert isinstance(denied, UpstreamError) and denied.code == "upstream_auth_error"
