"""Golden translations: OpenAI request -> Converse kwargs; Converse output -> OpenAI response; errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from tollway.errors import (
    ContextWindowExceededError,
    GatewayTimeoutError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    UnsupportedParamError,
    UpstreamError,
)
from tollway.providers.bedrock import errors
from tollway.providers.bedrock.request import to_converse_kwargs
from tollway.providers.bedrock.response import to_chat_response

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


async def _kwargs(body: dict[str, object], model_id: str = CLAUDE, drop_params: bool = False) -> dict[str, object]:
    return await to_converse_kwargs(body, model_id=model_id, drop_params=drop_params)


async def test_full_conversation_golden() -> None:
    kwargs = await _kwargs({
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "Policy", "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lG"}}]},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
                {"id": "t2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
            ]},
            {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "t2", "content": "rain"},
            {"role": "user", "content": "Summarise.", "cache_control": {"type": "ephemeral"}},
        ],
        "tools": [TOOL], "tool_choice": "auto",
        "max_tokens": 300, "temperature": 0.5, "top_p": 0.9, "stop": "STOP", "user": "alice@example.com",
    })
    assert kwargs == {
        "modelId": CLAUDE,
        "system": [{"text": "Policy"}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {"role": "user", "content": [{"text": "Weather in Paris and Rome?"},
                                         {"image": {"format": "gif", "source": {"bytes": b"GIF"}}}]},
            {"role": "assistant", "content": [
                {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}},
                {"toolUse": {"toolUseId": "t2", "name": "get_weather", "input": {"city": "Rome"}}}]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}]}},
                {"toolResult": {"toolUseId": "t2", "content": [{"text": "rain"}]}},
                {"text": "Summarise."}, {"cachePoint": {"type": "default"}}]},
        ],
        "inferenceConfig": {"maxTokens": 300, "temperature": 0.5, "topP": 0.9, "stopSequences": ["STOP"]},
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather", "inputSchema": {
            "json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}], "toolChoice": {"auto": {}}},
        "requestMetadata": {"user": "alice@example.com"},
    }


@pytest.mark.parametrize(("choice", "expected"), [
    ("required", {"any": {}}), ({"type": "function", "function": {"name": "f"}}, {"tool": {"name": "f"}}),
])
async def test_tool_choice(choice: object, expected: object) -> None:
    kwargs = await _kwargs({"messages": [{"role": "user", "content": "x"}], "tools": [TOOL], "tool_choice": choice})
    assert kwargs["toolConfig"]["toolChoice"] == expected  # type: ignore[index]


async def test_tool_choice_none_omits_the_tools() -> None:
    kwargs = await _kwargs({"messages": [{"role": "user", "content": "x"}], "tools": [TOOL], "tool_choice": "none"})
    assert "toolConfig" not in kwargs


async def test_reasoning_effort_for_claude_and_other_models() -> None:
    kwargs = await _kwargs({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "high",
                            "max_completion_tokens": 30000})
    assert kwargs["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 24576}}
    assert kwargs["inferenceConfig"] == {"maxTokens": 30000}
    with pytest.raises(UnsupportedParamError) as info:
        await _kwargs({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "low"},
                      model_id="amazon.nova-pro-v1:0")
    assert info.value.param == "reasoning_effort"
    dropped = await _kwargs({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "low"},
                            model_id="amazon.nova-pro-v1:0", drop_params=True)
    assert "additionalModelRequestFields" not in dropped


async def test_thinking_blocks_round_trip_as_reasoning_content() -> None:
    kwargs = await _kwargs({"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": "ok", "thinking_blocks": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"}]},
        {"role": "user", "content": "y"},
    ]})
    assert kwargs["messages"][1]["content"] == [  # type: ignore[index]
        {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}}, {"text": "ok"}]


async def test_json_modes() -> None:
    schema = {"type": "object"}
    kwargs = await _kwargs({"messages": [{"role": "user", "content": "x"}], "response_format": {
        "type": "json_schema", "json_schema": {"name": "n", "description": "d", "schema": schema}}})
    assert kwargs["outputConfig"] == {"textFormat": {"type": "json_schema", "structure": {
        "jsonSchema": {"schema": '{"type":"object"}', "name": "n", "description": "d"}}}}
    kwargs = await _kwargs({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}})
    assert "JSON object" in kwargs["system"][0]["text"]  # type: ignore[index]


async def test_unsupported_image_type_is_a_400() -> None:
    with pytest.raises(InvalidRequestError):
        await _kwargs({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}}]}]})


def test_response_golden() -> None:
    response = to_chat_response({
        "ResponseMetadata": {"RequestId": "abc-123", "HTTPStatusCode": 200},
        "output": {"message": {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "Let me see.", "signature": "s1"}}},
            {"text": "Calling."},
            {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}},
        ]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 10, "outputTokens": 30, "totalTokens": 1240, "cacheReadInputTokens": 1000,
                  "cacheWriteInputTokens": 200},
        "metrics": {"latencyMs": 5},
    }, CLAUDE)
    data = response.model_dump(exclude_none=True)
    assert data["id"] == "chatcmpl-abc-123" and data["model"] == CLAUDE
    assert data["choices"] == [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Calling.", "reasoning_content": "Let me see.",
        "thinking_blocks": [{"type": "thinking", "thinking": "Let me see.", "signature": "s1"}],
        "tool_calls": [{"id": "t1", "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]}}]
    assert data["usage"]["prompt_tokens"] == 1210 and data["usage"]["total_tokens"] == 1240
    assert data["usage"]["prompt_tokens_details"] == {"cached_tokens": 1000, "cache_creation_tokens": 200}


@pytest.mark.parametrize(("stop", "finish"), [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("guardrail_intervened", "content_filter"), ("content_filtered", "content_filter"),
    ("model_context_window_exceeded", "length"),
])
def test_finish_reason_table(stop: str, finish: str) -> None:
    output = {"output": {"message": {"role": "assistant", "content": [{"text": "x"}]}}, "stopReason": stop,
              "usage": {}}
    assert to_chat_response(output, "m").choices[0].finish_reason == finish


def _client_error(code: str, message: str, status: int = 400, headers: dict[str, str] | None = None) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}}}, "Converse")


@pytest.mark.parametrize(("code", "message", "kind", "status"), [
    ("ThrottlingException", "slow down", RateLimitError, 429),
    ("throttlingException", "slow down (in stream)", RateLimitError, 429),
    ("ValidationException", "prompt is too long: 300000 tokens > 200000 maximum", ContextWindowExceededError, 400),
    ("ValidationException", "Input is too long for requested model.", ContextWindowExceededError, 400),
    ("ValidationException", "bad temperature", InvalidRequestError, 400),
    ("ModelTimeoutException", "slow model", GatewayTimeoutError, 504),
    ("ServiceUnavailableException", "busy", ServiceUnavailableError, 503),
    ("ModelNotReadyException", "cold", ServiceUnavailableError, 503),
    ("AccessDeniedException", "no", UpstreamError, 502),
    ("ResourceNotFoundException", "none", UpstreamError, 502),
    ("ModelErrorException", "broke", UpstreamError, 502),
    ("modelStreamErrorException", "broke mid-stream", UpstreamError, 502),
])
def test_client_errors(code: str, message: str, kind: type, status: int) -> None:
    error = errors.from_client_error(_client_error(code, message, headers={"retry-after": "3"}))
    assert type(error) is kind and error.status_code == status
    if kind is RateLimitError:
        assert error.headers["retry-after"] == "3"
    if code == "AccessDeniedException":
        assert error.code == "upstream_auth_error" and "gateway's AWS credentials" in error.message


def test_transport_errors() -> None:
    assert isinstance(errors.from_exception(ReadTimeoutError(endpoint_url="http://x"), 5), GatewayTimeoutError)
    unreachable = errors.from_exception(EndpointConnectionError(endpoint_url="http://x"), 5)
    assert type(unreachable) is UpstreamError and unreachable.code == "upstream_unreachable"
    from urllib3.exceptions import ProtocolError
    from urllib3.exceptions import ReadTimeoutError as StreamReadTimeout

    assert isinstance(errors.from_exception(StreamReadTimeout(None, "/", "read timed out"), 5), GatewayTimeoutError)
    assert type(errors.from_exception(ProtocolError("connection broken"), 5)) is UpstreamError
    with pytest.raises(KeyError):
        errors.from_exception(KeyError("a bug"), 5)


def test_importing_the_adapter_creates_no_client_and_no_boto3() -> None:
    code = ("import sys, tollway.providers.bedrock.adapter as a, tollway.providers.bedrock.client as c;"
            "print(json.dumps([len(c._clients), 'boto3' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", "import json;" + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [0, False]
