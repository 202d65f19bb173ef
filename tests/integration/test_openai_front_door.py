"""The OpenAI front door through the official ``openai`` SDK, against a fake OpenAI upstream."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import Scripted

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}


@pytest.fixture
def gateway(start_gateway, openai_upstream):  # type: ignore[no-untyped-def]
    return start_gateway({
        "model_list": [
            {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o-2024-08-06",
                                                        "api_base": openai_upstream.base_url,
                                                        "api_key": "sk-upstream-secret"}},
            {"model_name": "embedder", "litellm_params": {"model": "openai/text-embedding-3-small",
                                                          "api_base": openai_upstream.base_url,
                                                          "api_key": "sk-upstream-secret"}},
            {"model_name": "groq-llama", "litellm_params": {"model": "groq/llama-3.3-70b",
                                                            "api_base": openai_upstream.base_url,
                                                            "api_key": "gsk-upstream"}},
        ],
    })


@pytest.fixture
def client(gateway) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_round_trip(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0.2, max_tokens=50, seed=7,
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens_details.cached_tokens == 2
    sent = openai_upstream.requests[0]
    assert sent["model"] == "gpt-4o-2024-08-06"
    assert sent["temperature"] == 0.2 and sent["max_tokens"] == 50 and sent["seed"] == 7
    assert openai_upstream.headers[0]["authorization"] == "Bearer sk-upstream-secret"
    assert raw.headers["x-request-id"].startswith("req-")
    assert float(raw.headers["x-tollway-overhead-ms"]) >= 0
    assert raw.headers["x-tollway-deployment"]


def test_stream_with_usage(client) -> None:  # type: ignore[no-untyped-def]
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == "echo: one two three"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5
    assert sum(1 for c in chunks if c.usage) == 1


def test_stream_without_usage_hides_the_usage_chunk(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}],
                                                 stream=True))
    assert all(c.usage is None for c in chunks)
    assert openai_upstream.requests[0]["stream_options"] == {"include_usage": True}  # metered anyway


def test_tool_call_round_trip(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    first = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "weather in Paris?"}], tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    second = client.chat.completions.create(model="gpt-4o", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather in Paris?"},
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ])
    assert second.choices[0].message.content == "echo: sunny, 21C"
    sent = openai_upstream.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call.id and sent[2]["tool_call_id"] == call.id


def test_streamed_tool_call(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL], stream=True,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


async def test_async_client(gateway) -> None:  # type: ignore[no-untyped-def]
    client = openai.AsyncOpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    completion = await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "a"}])
    assert completion.choices[0].message.content == "echo: a"
    stream = await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "b c"}],
                                                  stream=True)
    assert "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]).strip() == "echo: b c"
    await client.close()


def test_embeddings_and_models(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="embedder", input=["a b", "c"], dimensions=4)
    assert [d.index for d in result.data] == [0, 1] and len(result.data[0].embedding) == 4
    assert openai_upstream.requests[0]["model"] == "text-embedding-3-small"
    assert result.usage.prompt_tokens == 3
    assert {m.id for m in client.models.list()} == {"gpt-4o", "embedder", "groq-llama"}
    assert client.models.retrieve("gpt-4o").owned_by == "openai"


def test_catalog_provider_renames_its_parameters(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="groq-llama", messages=[{"role": "user", "content": "hi"}],
                                   max_completion_tokens=9)
    sent = openai_upstream.requests[0]
    assert sent["model"] == "llama-3.3-70b" and sent["max_tokens"] == 9 and "max_completion_tokens" not in sent
    assert openai_upstream.headers[0]["authorization"] == "Bearer gsk-upstream"


def test_unknown_model_is_404(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope")


def test_wrong_or_missing_key_is_401(gateway) -> None:  # type: ignore[no-untyped-def]
    bad = openai.OpenAI(base_url=gateway.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    response = httpx.get(f"{gateway.base_url}/models")
    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"


def test_x_api_key_header_is_accepted(gateway) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{gateway.base_url}/models", headers={"x-api-key": MASTER_KEY})
    assert response.status_code == 200


@pytest.mark.parametrize(("body", "needle"), [
    (b'{"model": "gpt-4o", "messages": [', "could not parse the JSON body"),
    (b'{"model": "gpt-4o"}', "Missing required parameter: 'messages'"),
    (b'{"model": "gpt-4o", "messages": []}', "'messages'"),
    (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}', "messages[0].content"),
    (b'{"model": "gpt-4o", "messages": [{"role": "robot", "content": "x"}]}', "messages[0].role"),
    (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}', "temperature"),
    (b'[1, 2]', "JSON object"),
    (b'', "empty"),
])
def test_client_mistakes_are_400_with_a_message(gateway, body: bytes, needle: str) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{gateway.base_url}/chat/completions", content=body,
                          headers={"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert needle in error["message"] and error["type"] == "invalid_request_error"


def test_unknown_parameter_passes_through_to_an_openai_upstream(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    """Same wire: the upstream judges fields the gateway does not know; gateway fields never leave."""
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}],
                                   extra_body={"frobnicate": 1, "drop_params": True, "fallbacks": []})
    sent = openai_upstream.requests[-1]
    assert sent["frobnicate"] == 1 and "drop_params" not in sent and "fallbacks" not in sent


@pytest.mark.parametrize(("status", "body", "exception", "code"), [
    (400, {"error": {"message": "Invalid 'temperature'", "type": "invalid_request_error", "code": None}},
     openai.BadRequestError, None),
    (400, {"error": {"message": "This model's maximum context length is 128000 tokens", "type":
                     "invalid_request_error", "code": "context_length_exceeded"}},
     openai.BadRequestError, "context_length_exceeded"),
    (429, {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
     openai.RateLimitError, "rate_limit_exceeded"),
    (401, {"error": {"message": "Incorrect API key provided: sk-upstr***cret", "code": "invalid_api_key"}},
     openai.InternalServerError, "upstream_auth_error"),
    (500, {"error": {"message": "boom"}}, openai.InternalServerError, None),
    (503, {"error": {"message": "overloaded"}}, openai.InternalServerError, None),
])
def test_upstream_errors_are_mapped(client, openai_upstream, status, body, exception, code) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(status=status, body=body, headers={"retry-after": "7"}))
    with pytest.raises(exception) as info:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == code
    assert "sk-upstream-secret" not in str(info.value.body)
    if status == 429:
        assert info.value.response.headers["retry-after"] == "7"
    if status >= 500:
        assert info.value.status_code == (503 if status == 503 else 502)
    if status == 401:
        assert info.value.status_code == 502 and "sk-upstr" not in info.value.message


def test_upstream_error_before_first_chunk_keeps_its_status(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(status=429, body={"error": {"message": "slow down"}}))
    with pytest.raises(openai.RateLimitError):
        list(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}],
                                            stream=True))


def test_upstream_error_mid_stream_becomes_an_error_event(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(stream_error_after=2))
    stream = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "a b c d"}],
                                            stream=True)
    with pytest.raises(openai.APIError) as info:
        list(stream)
    assert "upstream exploded" in info.value.message


def test_unreachable_upstream_is_502(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": [{"model_name": "dead", "litellm_params": {
        "model": "openai/x", "api_base": "http://127.0.0.1:9/v1", "api_key": "k"}}]})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="dead", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 502 and info.value.code == "upstream_unreachable"


def test_unknown_route_is_an_openai_shaped_404(gateway) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{gateway.url}/v2/nothing", headers={"authorization": f"Bearer {MASTER_KEY}"})
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found_error"


def test_paths_without_v1_and_health(gateway) -> None:  # type: ignore[no-untyped-def]
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    assert httpx.post(f"{gateway.url}/chat/completions", json=body, headers=headers).status_code == 200
    assert httpx.get(f"{gateway.url}/models", headers=headers).status_code == 200
    for path in ("/health/liveliness", "/health/liveness", "/health/readiness"):
        assert httpx.get(f"{gateway.url}{path}").status_code == 200
