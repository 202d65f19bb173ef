"""The OpenAI-compatible catalog through the running app and the official openai SDK, against the
fake OpenAI upstream: groq in depth (the catalog sample), every provider's URL and key, and
Mistral embeddings."""

from __future__ import annotations

import json

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import Scripted
from tollway.providers.catalog import CATALOG

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
ALL_KEY_ENVS = sorted({name for spec in CATALOG.values() for name in spec.key_env})


def _client(gateway) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


@pytest.fixture
def groq(start_gateway, openai_upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return _client(start_gateway({"model_list": [
        {"model_name": "llama", "litellm_params": {"model": "groq/llama-3.3-70b-versatile",
                                                   "api_base": openai_upstream.base_url, "api_key": "gsk-secret"}},
    ]}))


def test_groq_chat_usage_and_renamed_params(groq, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    completion = groq.chat.completions.create(
        model="llama", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        max_completion_tokens=20, temperature=0.5, seed=3,
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 11 and completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == 16
    sent = openai_upstream.requests[0]
    assert sent["model"] == "llama-3.3-70b-versatile" and sent["max_tokens"] == 20
    assert "max_completion_tokens" not in sent and sent["seed"] == 3
    assert openai_upstream.headers[0]["authorization"] == "Bearer gsk-secret"


def test_groq_stream_text(groq, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(groq.chat.completions.create(model="llama", messages=[{"role": "user", "content": "a b"}],
                                               stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == "echo: a b"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == 5
    assert openai_upstream.requests[0]["stream"] is True


def test_groq_tool_round_trip_and_streamed_tool_call(groq, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    named = {"type": "function", "function": {"name": "get_weather"}}
    first = groq.chat.completions.create(model="llama", tools=[WEATHER_TOOL], tool_choice=named,
                                         messages=[{"role": "user", "content": "weather in Paris?"}])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and json.loads(call.function.arguments) == {"city": "Paris"}
    second = groq.chat.completions.create(model="llama", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather in Paris?"},
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ])
    assert second.choices[0].message.content == "echo: sunny"
    assert openai_upstream.requests[1]["messages"][2] == {"role": "tool", "tool_call_id": call.id,
                                                           "content": "sunny"}
    chunks = list(groq.chat.completions.create(model="llama", tools=[WEATHER_TOOL], tool_choice=named, stream=True,
                                               messages=[{"role": "user", "content": "weather?"}]))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_groq_rate_limit_keeps_retry_after(groq, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(status=429, headers={"retry-after": "12"}, body={"error": {
        "message": "Rate limit reached for model llama-3.3-70b-versatile", "type": "tokens",
        "code": "rate_limit_exceeded"}}))
    with pytest.raises(openai.RateLimitError) as info:
        groq.chat.completions.create(model="llama", messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "12" and info.value.code == "rate_limit_exceeded"


def test_groq_context_length(groq, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(status=400, body={"error": {
        "message": "Please reduce the length of the messages or completion.", "type": "invalid_request_error",
        "param": "messages", "code": "context_length_exceeded"}}))
    with pytest.raises(openai.BadRequestError) as info:
        groq.chat.completions.create(model="llama", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "context_length_exceeded"


def test_groq_unsupported_param_is_400_unless_dropped(groq, start_gateway, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as info:
        groq.chat.completions.create(model="llama", logprobs=True, messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "logprobs" and "logprobs" in info.value.message
    assert openai_upstream.requests == []
    lenient = _client(start_gateway({"litellm_settings": {"drop_params": True}, "model_list": [
        {"model_name": "llama", "litellm_params": {"model": "groq/llama-3.3-70b-versatile",
                                                   "api_base": openai_upstream.base_url, "api_key": "k"}}]}))
    lenient.chat.completions.create(model="llama", logprobs=True, logit_bias={"1": 1},
                                    messages=[{"role": "user", "content": "x"}])
    assert "logprobs" not in openai_upstream.requests[0] and "logit_bias" not in openai_upstream.requests[0]


def test_groq_error_mid_stream(groq, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(stream_error_after=2))
    with pytest.raises(openai.APIError) as info:
        list(groq.chat.completions.create(model="llama", stream=True,
                                          messages=[{"role": "user", "content": "a b c"}]))
    assert "upstream exploded" in info.value.message


@pytest.mark.parametrize("provider", sorted(CATALOG))
def test_every_catalog_provider_url_and_env_key(provider, start_gateway, openai_upstream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = CATALOG[provider]
    for name in ALL_KEY_ENVS:
        monkeypatch.delenv(name, raising=False)
    gateway = start_gateway({"model_list": [
        {"model_name": "m", "litellm_params": {"model": f"{provider}/org/some-model",
                                               "api_base": openai_upstream.base_url}},
        {"model_name": "keyed", "litellm_params": {"model": f"{provider}/other", "api_key": "explicit-key",
                                                   "api_base": f"{openai_upstream.base_url}/"}},
    ]})
    client = _client(gateway)
    client.chat.completions.create(model="keyed", messages=[{"role": "user", "content": "x"}])
    assert openai_upstream.headers[-1]["authorization"] == "Bearer explicit-key"
    if not spec.key_required:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert "authorization" not in openai_upstream.headers[-1]
    for name in spec.key_env:  # every documented variable works, the first one set wins
        monkeypatch.setenv(name, f"env-{name}")
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert openai_upstream.headers[-1]["authorization"] == f"Bearer env-{spec.key_env[0]}"
    assert openai_upstream.requests[-1]["model"] == "org/some-model"
    assert len(openai_upstream.requests) == 1 + len(spec.key_env) + (0 if spec.key_required else 1)


def test_missing_key_is_a_gateway_error_not_the_callers(start_gateway, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    client = _client(start_gateway({"model_list": [
        {"model_name": "m", "litellm_params": {"model": "groq/llama-3.3-70b-versatile"}}]}))
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert "GROQ_API_KEY" in info.value.message and info.value.status_code == 500


def test_mistral_embeddings(start_gateway, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    def gateway(**settings):  # type: ignore[no-untyped-def]
        return _client(start_gateway({**settings, "model_list": [
            {"model_name": "embed", "litellm_params": {"model": "mistral/mistral-embed",
                                                       "api_base": openai_upstream.base_url, "api_key": "ms-key"}}]}))

    client = gateway()
    result = client.embeddings.create(model="embed", input=["a b", "c"], dimensions=4)
    assert [d.index for d in result.data] == [0, 1] and result.usage.prompt_tokens == 3
    sent = openai_upstream.requests[0]
    assert sent["model"] == "mistral-embed" and sent["input"] == ["a b", "c"]
    assert sent["output_dimension"] == 4 and "dimensions" not in sent
    assert sent["encoding_format"] == "base64"  # the SDK's default, which Mistral also speaks
    assert openai_upstream.headers[0]["authorization"] == "Bearer ms-key"
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="embed", input="x", user="u-1")
    assert info.value.param == "user"
    gateway(litellm_settings={"drop_params": True}).embeddings.create(model="embed", input="x", user="u-1")
    assert "user" not in openai_upstream.requests[-1]


def test_xinference_base_from_its_variable(start_gateway, openai_upstream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XINFERENCE_API_BASE", openai_upstream.base_url)
    monkeypatch.delenv("XINFERENCE_API_KEY", raising=False)
    client = _client(start_gateway({"model_list": [
        {"model_name": "qwen", "litellm_params": {"model": "xinference/qwen2.5-instruct"}}]}))
    completion = client.chat.completions.create(model="qwen", messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content == "echo: hi"
    assert openai_upstream.requests[0]["model"] == "qwen2.5-instruct"
    assert "authorization" not in openai_upstream.headers[0]


def test_mistralai_prefix_is_served_and_priced_as_mistral(start_gateway, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    client = _client(start_gateway({"model_list": [
        {"model_name": "large", "litellm_params": {"model": "mistralai/mistral-large-latest",
                                                   "api_base": openai_upstream.base_url, "api_key": "ms-key"}}]}))
    raw = client.chat.completions.with_raw_response.create(
        model="large", seed=4, messages=[{"role": "user", "content": "hi"}])
    assert raw.parse().choices[0].message.content == "echo: hi"
    sent = openai_upstream.requests[0]
    assert sent["model"] == "mistral-large-latest" and sent["random_seed"] == 4  # mistral's quirks apply
    assert float(raw.headers["x-tollway-response-cost"]) > 0  # found as mistral/mistral-large-latest
