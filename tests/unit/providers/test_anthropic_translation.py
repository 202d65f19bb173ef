"""Golden translations: OpenAI request -> Anthropic Messages body; Anthropic message -> OpenAI response."""

from __future__ import annotations

import pytest

from tollway.config.models import Deployment
from tollway.errors import (
    ContextWindowExceededError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    UnsupportedParamError,
    UpstreamError,
)
from tollway.providers.anthropic import errors
from tollway.providers.anthropic.adapter import AnthropicProvider
from tollway.providers.anthropic.request import to_messages_body
from tollway.providers.anthropic.response import to_chat_response
from tollway.providers.base import CallSettings
from tollway.types.chat import ChatRequest

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def _provider(drop_params: bool = False, **params: object) -> AnthropicProvider:
    deployment = Deployment.model_validate({"model_name": "c", "litellm_params": {
        "model": "anthropic/claude-sonnet-4-5", "api_key": "k", **params}})
    return AnthropicProvider(deployment, CallSettings(drop_params=drop_params))


async def _body(request: dict[str, object], **kwargs: object) -> dict[str, object]:
    provider = _provider(**kwargs)  # type: ignore[arg-type]
    upstream = await provider.build_chat(ChatRequest.model_validate({"model": "c", **request}), stream=False)
    return upstream.json


async def test_full_conversation_golden() -> None:
    body = await _body({
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Policy",
                                               "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
                {"id": "t2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
            ]},
            {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "t2", "content": [{"type": "text", "text": "rain"}]},
            {"role": "user", "content": "Summarise.", "cache_control": {"type": "ephemeral"}},
        ],
        "tools": [{**TOOL, "cache_control": {"type": "ephemeral"}}],
        "tool_choice": "auto", "parallel_tool_calls": False,
        "max_completion_tokens": 300, "temperature": 0.5, "top_p": 0.9, "stop": ["\n\nHuman:"], "user": "u-1",
    })
    assert body == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 300,
        "system": [{"type": "text", "text": "You are terse."},
                   {"type": "text", "text": "Policy", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Weather in Paris and Rome?"},
                {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "t2", "name": "get_weather", "input": {"city": "Rome"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "t2", "content": [{"type": "text", "text": "rain"}]},
                {"type": "text", "text": "Summarise.", "cache_control": {"type": "ephemeral"}}]},
        ],
        "temperature": 0.5, "top_p": 0.9, "stop_sequences": ["\n\nHuman:"], "metadata": {"user_id": "u-1"},
        "tools": [{"name": "get_weather", "description": "Weather", "cache_control": {"type": "ephemeral"},
                   "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    }


@pytest.mark.parametrize(("choice", "expected"), [
    ("none", {"type": "none"}), ("required", {"type": "any"}), ("auto", None),
    ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
])
async def test_tool_choice(choice: object, expected: object) -> None:
    body = await _body({"messages": [{"role": "user", "content": "x"}], "tools": [TOOL], "tool_choice": choice})
    assert body.get("tool_choice") == expected


@pytest.mark.parametrize(("effort", "limit", "budget", "max_tokens"), [
    ("low", None, 2048, 2048 + 4096), ("high", None, 24576, 24576 + 4096),
    ("medium", 20000, 8192, 20000), ("medium", 3000, 1500, 3000), ("low", 500, 1024, 1025),
])
async def test_reasoning_effort_budget_fits_under_max_tokens(effort: str, limit: int | None, budget: int,
                                                             max_tokens: int) -> None:
    request: dict[str, object] = {"messages": [{"role": "user", "content": "x"}], "reasoning_effort": effort}
    if limit:
        request["max_tokens"] = limit
    body = await _body(request)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == max_tokens


async def test_response_formats() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = await _body({"messages": [{"role": "user", "content": "x"}],
                        "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": schema}}})
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    body = await _body({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}})
    assert "JSON object" in body["system"][-1]["text"] and "output_config" not in body  # type: ignore[index]


async def test_data_uri_image_and_pdf_become_base64_sources() -> None:
    body = await _body({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAEC"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERg=="}},
    ]}]})
    content = body["messages"][0]["content"]  # type: ignore[index]
    assert content == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAEC"}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERg=="}},
    ]


async def test_thinking_blocks_are_sent_back_before_the_tool_use() -> None:
    thinking = {"type": "thinking", "thinking": "hmm", "signature": "sig"}
    body = await _body({"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": None, "thinking_blocks": [thinking], "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "t1", "content": "ok"},
    ]})
    assert body["messages"][1]["content"] == [thinking, {"type": "tool_use", "id": "t1", "name": "f", "input": {}}]  # type: ignore[index]


@pytest.mark.parametrize("param", ["seed", "presence_penalty", "frequency_penalty", "logprobs", "logit_bias"])
async def test_unsupported_params_are_rejected_or_dropped(param: str) -> None:
    values = {"seed": 1, "presence_penalty": 0.1, "frequency_penalty": 0.1, "logprobs": True, "logit_bias": {"1": 1}}
    request = {"messages": [{"role": "user", "content": "x"}], param: values[param]}
    with pytest.raises(UnsupportedParamError) as info:
        await _body(request)
    assert info.value.param == param
    assert param not in await _body(request, drop_params=True)


async def test_n_greater_than_one_is_unsupported() -> None:
    with pytest.raises(UnsupportedParamError):
        await _body({"messages": [{"role": "user", "content": "x"}], "n": 2})
    assert "n" not in await _body({"messages": [{"role": "user", "content": "x"}], "n": 1})


def test_direct_translation_keeps_stream_flag() -> None:
    body = to_messages_body({"messages": [{"role": "user", "content": "x"}]}, model="m", stream=True)
    assert body == {"model": "m", "max_tokens": 4096, "stream": True,
                    "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]}


def test_audio_content_is_a_400() -> None:
    with pytest.raises(InvalidRequestError):
        to_messages_body({"messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}}]}]}, model="m", stream=False)


def test_response_golden() -> None:
    response = to_chat_response({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "Let me see.", "signature": "s1"},
            {"type": "text", "text": "Calling tools."},
            {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "t2", "name": "get_weather", "input": {"city": "Rome"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "output_tokens": 30, "cache_read_input_tokens": 1000,
                  "cache_creation_input_tokens": 200, "output_tokens_details": {"thinking_tokens": 12}},
    })
    data = response.model_dump(exclude_none=True)
    assert data["id"] == "msg_1" and data["model"] == "claude-sonnet-4-5"
    assert data["choices"] == [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Calling tools.", "reasoning_content": "Let me see.",
        "thinking_blocks": [{"type": "thinking", "thinking": "Let me see.", "signature": "s1"}],
        "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "t2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
        ]}}]
    assert data["usage"] == {"prompt_tokens": 1210, "completion_tokens": 30, "total_tokens": 1240,
                             "prompt_tokens_details": {"cached_tokens": 1000, "cache_creation_tokens": 200},
                             "completion_tokens_details": {"reasoning_tokens": 12}}


@pytest.mark.parametrize(("stop", "finish"), [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("refusal", "content_filter"), ("model_context_window_exceeded", "length"), ("pause_turn", "stop"),
])
def test_finish_reason_table(stop: str, finish: str) -> None:
    message = {"id": "m", "model": "c", "content": [{"type": "text", "text": "x"}], "stop_reason": stop, "usage": {}}
    assert to_chat_response(message).choices[0].finish_reason == finish


def test_error_mapping() -> None:
    too_long = errors.from_response(400, b'{"type":"error","error":{"type":"invalid_request_error",'
                                         b'"message":"input length and `max_tokens` exceed context limit"}}', {})
    assert isinstance(too_long, ContextWindowExceededError)
    limited = errors.from_response(429, b'{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}',
                                   {"retry-after": "12"})
    assert isinstance(limited, RateLimitError) and limited.headers["retry-after"] == "12"
    assert isinstance(errors.from_response(529, b"{}", {}), ServiceUnavailableError)
    billing = errors.from_response(402, b'{"error":{"type":"billing_error","message":"no credit"}}', {})
    assert isinstance(billing, UpstreamError) and billing.code == "upstream_auth_error"
    event = errors.from_stream_event({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert isinstance(event, ServiceUnavailableError) and "Overloaded" in event.message


async def test_base_url_key_and_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _provider(api_base="http://h:1/v1/").base_url == "http://h:1"
    assert _provider().base_url == "https://api.anthropic.com"
    headers = await _provider(anthropic_beta=["a-1", "b-2"]).headers()
    assert headers == {"x-api-key": "k", "anthropic-version": "2023-06-01", "anthropic-beta": "a-1,b-2"}
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    deployment = Deployment.model_validate({"model_name": "c", "litellm_params": {"model": "anthropic/claude-x"}})
    assert (await AnthropicProvider(deployment, CallSettings()).headers())["x-api-key"] == "from-env"
