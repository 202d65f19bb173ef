"""``bedrock/...`` deployments through the running app and the official openai SDK. The gateway uses
the real boto3 client (SigV4, REST-JSON, binary event stream) against a fake Bedrock endpoint."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.bedrock_upstream import FakeBedrock, Script
from tests.support.servers import serve_app

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abc123"


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeBedrock, str]]:
    fake = FakeBedrock()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeBedrock, str]) -> Iterator[FakeBedrock]:
    fake, _ = _server
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway, _server, monkeypatch) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    _, url = _server
    monkeypatch.setenv("BEDROCK_TEST_KEY_ID", "AKIDEXPLICIT")
    common = {"api_base": url, "aws_region_name": "us-west-2"}
    gateway = start_gateway({"model_list": [
        {"model_name": "claude", "litellm_params": {"model": f"bedrock/{CLAUDE}", **common}},
        {"model_name": "profile", "litellm_params": {
            "model": f"bedrock/{PROFILE_ARN}", **common, "aws_access_key_id": "os.environ/BEDROCK_TEST_KEY_ID",
            "aws_secret_access_key": "explicit-secret"}},
        {"model_name": "titan", "litellm_params": {"model": "bedrock/amazon.titan-embed-text-v2:0", **common}},
        {"model_name": "cohere-embed", "litellm_params": {"model": "bedrock/cohere.embed-english-v3", **common,
                                                          "input_type": "search_query"}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_is_sigv4_signed_and_mapped(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(
        model="claude", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0.3, max_tokens=100, stop=["END"],
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.id == "chatcmpl-req-fake-1"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 6)
    call = upstream.calls[0]
    assert call.operation == "converse" and call.model_id == CLAUDE
    assert call.body["system"] == [{"text": "be brief"}]
    assert call.body["inferenceConfig"] == {"maxTokens": 100, "temperature": 0.3, "stopSequences": ["END"]}
    auth = call.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/us-west-2/bedrock/aws4_request" in auth and "x-amz-date" in call.headers


def test_application_inference_profile_arn_and_explicit_credentials(client, upstream) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="profile", messages=[{"role": "user", "content": "x"}])
    call = upstream.calls[0]
    assert call.model_id == PROFILE_ARN and "application-inference-profile%2Fabc123" in call.raw_path
    assert call.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXPLICIT/")


def test_stream_text_with_usage(client, upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 18
    assert upstream.calls[0].operation == "converse-stream"


def test_streamed_tool_call(client, upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL], stream=True,
        tool_choice="required",
    ))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id == "tooluse_fake1" and deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert upstream.calls[0].body["toolConfig"]["toolChoice"] == {"any": {}}


def test_tool_round_trip(client, upstream) -> None:  # type: ignore[no-untyped-def]
    first = client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "weather in Paris?"}], tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and json.loads(call.function.arguments) == {"city": "Paris"}
    second = client.chat.completions.create(model="claude", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather in Paris?"},
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ])
    assert second.choices[0].message.content == "echo: sunny, 21C"
    assert upstream.calls[0].body["toolConfig"] == {
        "tools": [{"toolSpec": {"name": "get_weather", "description": "Weather for a city",
                                "inputSchema": {"json": WEATHER_TOOL["function"]["parameters"]}}}],
        "toolChoice": {"tool": {"name": "get_weather"}}}
    sent = upstream.calls[1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "tooluse_fake1", "name": "get_weather", "input": {"city": "Paris"}}}]}
    assert sent[2] == {"role": "user", "content": [
        {"toolResult": {"toolUseId": "tooluse_fake1", "content": [{"text": "sunny, 21C"}]}}]}


def test_vision_data_uri_is_sent_as_bytes(client, upstream) -> None:  # type: ignore[no-untyped-def]
    uri = "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode()
    completion = client.chat.completions.create(model="claude", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": uri}}]}])
    assert completion.choices[0].message.content == "echo: what is this? [1 image(s)]"
    image = upstream.calls[0].body["messages"][0]["content"][1]["image"]
    assert image["format"] == "png" and base64.b64decode(image["source"]["bytes"]) == PNG_BYTES


def test_reasoning_effort_becomes_a_thinking_budget(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="claude", reasoning_effort="medium",
                                                messages=[{"role": "user", "content": "why?"}])
    message = completion.choices[0].message
    assert message.reasoning_content == "Thinking it over."  # type: ignore[attr-defined]
    assert message.thinking_blocks == [{"type": "thinking", "thinking": "Thinking it over.",  # type: ignore[attr-defined]
                                        "signature": "sig-b"}]
    body = upstream.calls[0].body
    assert body["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 8192}}
    assert body["inferenceConfig"]["maxTokens"] == 8192 + 4096
    chunks = list(client.chat.completions.create(model="claude", reasoning_effort="medium", stream=True,
                                                 messages=[{"role": "user", "content": "why?"}]))
    assert "".join(getattr(c.choices[0].delta, "reasoning_content", None) or ""
                   for c in chunks if c.choices) == "Thinking it over."


def test_cache_control_becomes_cache_points_and_cache_tokens_are_reported(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="claude", tools=[{**WEATHER_TOOL,
                                                                        "cache_control": {"type": "ephemeral"}}],
                                                messages=[
        {"role": "system", "content": [{"type": "text", "text": "long policy",
                                        "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "content": "question"},
    ])
    usage = completion.usage
    assert usage.prompt_tokens == 12 + 100 + 20 and usage.total_tokens == 138
    assert usage.prompt_tokens_details.cached_tokens == 100
    assert usage.prompt_tokens_details.cache_creation_tokens == 20  # type: ignore[attr-defined]
    body = upstream.calls[0].body
    assert body["system"] == [{"text": "long policy"}, {"cachePoint": {"type": "default"}}]
    assert body["toolConfig"]["tools"][1] == {"cachePoint": {"type": "default"}}


def test_json_schema_uses_native_output_config(client, upstream) -> None:  # type: ignore[no-untyped-def]
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}],
                                   response_format={"type": "json_schema",
                                                    "json_schema": {"name": "thing", "schema": schema}})
    structure = upstream.calls[0].body["outputConfig"]["textFormat"]
    assert structure["type"] == "json_schema"
    assert json.loads(structure["structure"]["jsonSchema"]["schema"]) == schema


@pytest.mark.parametrize(("status", "error", "message", "exception", "gateway_status", "code"), [
    (429, "ThrottlingException", "Too many requests", openai.RateLimitError, 429, "rate_limit_exceeded"),
    (400, "ValidationException", "Input is too long for requested model.", openai.BadRequestError, 400,
     "context_length_exceeded"),
    (400, "ValidationException", "temperature: must be at most 1", openai.BadRequestError, 400, None),
    (503, "ServiceUnavailableException", "busy", openai.InternalServerError, 503, None),
    (429, "ModelNotReadyException", "warming up", openai.InternalServerError, 503, None),
    (408, "ModelTimeoutException", "too slow", openai.InternalServerError, 504, None),
    (403, "AccessDeniedException", "not authorized", openai.InternalServerError, 502, "upstream_auth_error"),
    (404, "ResourceNotFoundException", "no such model", openai.InternalServerError, 502, "upstream_not_found"),
    (424, "ModelErrorException", "model crashed", openai.InternalServerError, 502, None),
])
def test_errors_are_mapped(client, upstream, status, error, message, exception, gateway_status, code) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Script(status=status, error=error, message=message, headers={"retry-after": "7"}))
    with pytest.raises(exception) as info:
        client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == gateway_status and info.value.code == code
    if status == 429 and gateway_status == 429:
        assert info.value.response.headers["retry-after"] == "7"
    assert len(upstream.calls) == 1  # boto3's own retries are off; the router owns retrying


def test_error_before_the_first_event_keeps_its_status(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Script(status=429, error="ThrottlingException"))
    with pytest.raises(openai.RateLimitError):
        list(client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}], stream=True))


def test_exception_inside_the_event_stream_ends_it_with_an_error(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Script(stream_error_after=2, stream_error="modelStreamErrorException",
                                 message="the model stream broke"))
    stream = client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "a b c d"}],
                                            stream=True)
    with pytest.raises(openai.APIError) as info:
        list(stream)
    assert "the model stream broke" in info.value.message


def test_unreachable_endpoint_is_502(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": [{"model_name": "dead", "litellm_params": {
        "model": f"bedrock/{CLAUDE}", "api_base": "http://127.0.0.1:9"}}]})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="dead", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 502 and info.value.code == "upstream_unreachable"


def test_titan_embeddings_one_call_per_text(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="titan", input=["a b", "c d e", "f"], dimensions=256)
    assert [d.index for d in result.data] == [0, 1, 2] and len(result.data[0].embedding) == 256
    assert result.usage.prompt_tokens == 2 + 3 + 1
    bodies = sorted((c.body for c in upstream.calls), key=lambda b: b["inputText"])
    assert bodies == [{"inputText": t, "dimensions": 256, "normalize": True} for t in ("a b", "c d e", "f")]
    assert all(c.model_id == "amazon.titan-embed-text-v2:0" for c in upstream.calls)
    assert result.data[1].embedding[0] == pytest.approx(0.005)


def test_titan_embeddings_base64(client) -> None:  # type: ignore[no-untyped-def]
    import httpx

    response = httpx.post(f"{client.base_url}embeddings", headers={"authorization": f"Bearer {MASTER_KEY}"},
                          json={"model": "titan", "input": "abc", "dimensions": 4, "encoding_format": "base64"})
    packed = base64.b64decode(response.json()["data"][0]["embedding"])
    assert struct.unpack("<4f", packed) == pytest.approx((0.003, 0.004, 0.005, 0.006))


def test_cohere_embeddings_in_one_call(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="cohere-embed", input=["hello world", "bye"])
    assert len(result.data) == 2 and len(result.data[1].embedding) == 1024
    assert result.usage.prompt_tokens == 3
    assert len(upstream.calls) == 1
    assert upstream.calls[0].body == {"texts": ["hello world", "bye"], "input_type": "search_query",
                                      "embedding_types": ["float"]}


async def test_abandoned_stream_stops_its_reader_thread(_server) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import threading

    from tollway.config.models import Deployment
    from tollway.providers.base import CallSettings
    from tollway.providers.bedrock.adapter import BedrockProvider
    from tollway.types.chat import ChatRequest

    fake, url = _server
    fake.reset()
    fake.queue.append(Script(stall_after=2))
    deployment = Deployment.model_validate({"model_name": "c", "litellm_params": {
        "model": f"bedrock/{CLAUDE}", "api_base": url}})
    chunks = BedrockProvider(deployment, CallSettings()).chat_stream(
        ChatRequest.model_validate({"model": "c", "messages": [{"role": "user", "content": "a b c d e f"}]}))
    first = await chunks.__anext__()
    assert first.choices[0].delta.role == "assistant"
    second = await chunks.__anext__()
    assert second.choices[0].delta.content == "echo:"
    readers = [t for t in threading.enumerate() if t.name == "bedrock-stream"]
    assert readers  # blocked reading the stalled stream
    await chunks.aclose()  # the client went away
    for _ in range(200):
        if not any(t.is_alive() for t in readers):
            break
        await asyncio.sleep(0.01)
    assert not any(t.is_alive() for t in readers)
    fake.reset()
