"""Golden translations: Gemini responses, stream events and errors -> OpenAI shapes."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from tollway.errors import (
    ContentPolicyError,
    ContextWindowExceededError,
    GatewayTimeoutError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamError,
)
from tollway.providers.gemini.embeddings import batch_body, parse_batch
from tollway.providers.gemini.errors import map_error
from tollway.providers.gemini.response import finish_reason, parse_response
from tollway.providers.gemini.stream import translate
from tollway.providers.gemini.toolids import signature_of
from tollway.providers.sse import SSEEvent
from tollway.types.embeddings import EmbeddingRequest

USAGE = {"promptTokenCount": 100, "candidatesTokenCount": 20, "thoughtsTokenCount": 30,
         "cachedContentTokenCount": 64, "totalTokenCount": 150}


def test_response_with_thoughts_tool_calls_usage_and_logprobs() -> None:
    data = {
        "candidates": [{
            "content": {"role": "model", "parts": [
                {"text": "pondering", "thought": True},
                {"text": "Let me check. "},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "AAEC"},
                {"functionCall": {"name": "get_time", "args": {}}},
            ]},
            "finishReason": "STOP", "index": 0,
            "logprobsResult": {"chosenCandidates": [{"token": "Let", "logProbability": -0.1}],
                               "topCandidates": [{"candidates": [{"token": "Let", "logProbability": -0.1},
                                                                 {"token": "I", "logProbability": -2.5}]}]},
        }],
        "usageMetadata": USAGE, "modelVersion": "gemini-2.5-pro-001", "responseId": "abc",
    }
    response = parse_response(data, "gemini-2.5-pro", "gemini").model_dump(exclude_none=True)
    choice = response["choices"][0]
    assert response["id"] == "chatcmpl-abc" and response["model"] == "gemini-2.5-pro-001"
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["content"] == "Let me check. " and message["reasoning_content"] == "pondering"
    calls = message["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris"}
    assert calls[1]["function"]["arguments"] == "{}"
    assert signature_of(calls[0]["id"]) == "AAEC" and signature_of(calls[1]["id"]) is None
    assert response["usage"] == {
        "prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
        "prompt_tokens_details": {"cached_tokens": 64}, "completion_tokens_details": {"reasoning_tokens": 30},
    }
    assert choice["logprobs"]["content"][0]["top_logprobs"][1] == {"token": "I", "logprob": -2.5, "bytes": [73]}
    # the same answer read twice gets the same ids
    again = parse_response(data, "gemini-2.5-pro", "gemini")
    assert [c.id for c in again.choices[0].message.tool_calls or []] == [c["id"] for c in calls]


@pytest.mark.parametrize(("reason", "tools", "expected"), [
    ("STOP", False, "stop"), ("STOP", True, "tool_calls"), (None, False, "stop"), ("MAX_TOKENS", False, "length"),
    ("MAX_TOKENS", True, "length"), ("SAFETY", False, "content_filter"), ("RECITATION", False, "content_filter"),
    ("BLOCKLIST", False, "content_filter"), ("PROHIBITED_CONTENT", False, "content_filter"),
    ("SPII", False, "content_filter"), ("OTHER", False, "stop"), ("SOMETHING_NEW", False, "stop"),
])
def test_finish_reasons(reason: str | None, tools: bool, expected: str) -> None:
    assert finish_reason(reason, has_tool_calls=tools) == expected


def test_blocked_prompt_and_empty_answers() -> None:
    with pytest.raises(ContentPolicyError, match="blockReason SAFETY"):
        parse_response({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": USAGE}, "m", "gemini")
    blocked_answer = parse_response({"candidates": [{"finishReason": "SAFETY", "index": 0}]}, "m", "gemini")
    assert blocked_answer.choices[0].finish_reason == "content_filter"
    assert blocked_answer.choices[0].message.content is None
    with pytest.raises(UpstreamError):
        parse_response({"usageMetadata": USAGE}, "m", "gemini")


async def _events(*payloads: Any) -> Any:
    for payload in payloads:
        yield SSEEvent(None, json.dumps(payload))


async def test_stream_text_thoughts_tools_and_usage() -> None:
    base = {"responseId": "s1", "modelVersion": "gemini-x"}
    chunks = [c.model_dump(exclude_none=True) async for c in translate(_events(
        {**base, "candidates": [{"content": {"parts": [{"text": "hmm", "thought": True}]}}]},
        {**base, "candidates": [{"content": {"parts": [{"text": "Hel"}]}}]},
        {**base, "candidates": [{"content": {"parts": [{"text": "lo"}]}}]},
        {**base, "candidates": [{"content": {"parts": [{"functionCall": {"name": "a", "args": {"x": 1}}}]}}]},
        {**base, "candidates": [{"content": {"parts": [{"functionCall": {"name": "b", "args": {}}}]},
                                 "finishReason": "STOP"}], "usageMetadata": USAGE},
    ), "gemini-x", "gemini")]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0] == {"role": "assistant", "reasoning_content": "hmm"}
    assert "".join(d.get("content", "") for d in deltas) == "Hello"
    calls = [tc for d in deltas for tc in d.get("tool_calls", [])]
    assert [(tc["index"], tc["function"]["name"], tc["function"]["arguments"]) for tc in calls] == [
        (0, "a", '{"x":1}'), (1, "b", "{}")]
    assert all(tc["id"].startswith("call_") and tc["type"] == "function" for tc in calls)
    assert [c["choices"][0].get("finish_reason") for c in chunks if c["choices"]][-1] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 50
    assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 64}
    assert {c["id"] for c in chunks} == {"chatcmpl-s1"}


async def test_stream_error_event_and_blocked_prompt() -> None:
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    stream = translate(_events({"candidates": [{"content": {"parts": [{"text": "a"}]}}]}, error), "m", "gemini")
    with pytest.raises(ServiceUnavailableError):
        [c async for c in stream]
    with pytest.raises(ContentPolicyError):
        [c async for c in translate(_events({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}), "m", "gemini")]


def _google(code: int, status: str, message: str, details: list[Any] | None = None) -> bytes:
    error = {"code": code, "message": message, "status": status, "details": details or []}
    return json.dumps({"error": error}).encode()


@pytest.mark.parametrize(("status", "body", "kind", "code"), [
    (429, _google(429, "RESOURCE_EXHAUSTED", "quota", [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "41.5s"}]), RateLimitError, None),
    (400, _google(400, "INVALID_ARGUMENT", "The input token count (2000000) exceeds the maximum number of tokens "
                  "allowed (1048576)."), ContextWindowExceededError, "context_length_exceeded"),
    (400, _google(400, "INVALID_ARGUMENT", "Invalid value at 'generation_config.temperature'"),
     InvalidRequestError, None),
    (400, _google(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                  [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]),
     UpstreamError, "upstream_auth_error"),
    (403, _google(403, "PERMISSION_DENIED", "denied"), UpstreamError, "upstream_auth_error"),
    (401, _google(401, "UNAUTHENTICATED", "no"), UpstreamError, "upstream_auth_error"),
    (400, _google(400, "FAILED_PRECONDITION", "User location is not supported"), UpstreamError,
     "upstream_precondition_failed"),
    (503, _google(503, "UNAVAILABLE", "overloaded"), ServiceUnavailableError, None),
    (504, _google(504, "DEADLINE_EXCEEDED", "slow"), GatewayTimeoutError, None),
    (404, _google(404, "NOT_FOUND", "models/x is not found"), UpstreamError, "upstream_not_found"),
    (500, _google(500, "INTERNAL", "oops"), UpstreamError, None),
    (429, b"[" + _google(429, "RESOURCE_EXHAUSTED", "vertex quota") + b"]", RateLimitError, None),
    (502, b"<html>bad gateway</html>", UpstreamError, None),
])
def test_error_mapping(status: int, body: bytes, kind: type[Exception], code: str | None) -> None:
    error = map_error("gemini", status, body, {})
    assert type(error) is kind and error.code == (code or error.code)
    if kind is UpstreamError and code == "upstream_auth_error":
        assert error.status_code == 502 and "API key" not in error.message
    if isinstance(error, RateLimitError) and b"41.5s" in body:
        assert error.retry_after == 41.5 and error.headers["retry-after"] == "42"


def test_rate_limit_falls_back_to_the_retry_after_header() -> None:
    error = map_error("gemini", 429, _google(429, "RESOURCE_EXHAUSTED", "quota"), {"retry-after": "9"})
    assert isinstance(error, RateLimitError) and error.retry_after == 9


def test_embeddings_golden() -> None:
    request = EmbeddingRequest(model="e", input=["a b", "c"], dimensions=2, encoding_format="base64")
    assert batch_body(request, "models/text-embedding-004", "gemini") == {"requests": [
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "a b"}]}, "outputDimensionality": 2},
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "c"}]}, "outputDimensionality": 2}]}
    response = parse_batch({"embeddings": [{"values": [0.5, -1.0]}, {"values": [0.25, 2.0]}]}, request, "e", "gemini")
    first = response.data[0].embedding
    assert isinstance(first, str) and struct.unpack("<2f", base64.b64decode(first)) == (0.5, -1.0)
    assert response.usage.prompt_tokens == 3
    with pytest.raises(InvalidRequestError):
        batch_body(EmbeddingRequest(model="e", input=[[1, 2]]), "models/x", "gemini")
    with pytest.raises(UpstreamError):
        parse_batch({"embeddings": [{"values": [1.0]}]}, request, "e", "gemini")
