"""``azure/...`` deployments through the running app and the official openai SDK, against a fake
Azure OpenAI resource (deployment URLs, v1 API) and a fake Entra ID token endpoint on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.azure_upstream import API_KEY, CLIENT_ID, CLIENT_SECRET, TENANT, FakeAzure
from tests.fakes.openai_upstream import Scripted
from tests.support.servers import serve_app
from tollway.providers.azure import entra

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
FORCE_WEATHER = {"type": "function", "function": {"name": "get_weather"}}


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeAzure, str]]:
    fake = FakeAzure()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeAzure, str]) -> Iterator[FakeAzure]:
    fake, _ = _server
    fake.reset()
    entra.clear_cache()
    yield fake
    fake.reset()
    entra.clear_cache()


@pytest.fixture
def client(start_gateway, _server, upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    _, url = _server
    entra_params = {"api_base": url, "tenant_id": TENANT, "client_id": CLIENT_ID, "azure_authority_host": url}
    gateway = start_gateway({"model_list": [
        {"model_name": "gpt-azure", "litellm_params": {"model": "azure/my-gpt4o", "api_base": url,
                                                       "api_key": API_KEY, "api_version": "2024-10-21"}},
        {"model_name": "gpt-azure-v1", "litellm_params": {"model": "azure/my-gpt4o", "api_base": f"{url}/openai/v1",
                                                          "api_key": API_KEY}},
        {"model_name": "gpt-entra", "litellm_params": {"model": "azure/my-gpt4o", "client_secret": CLIENT_SECRET,
                                                       **entra_params}},
        {"model_name": "gpt-entra-bad", "litellm_params": {"model": "azure/my-gpt4o", "client_secret": "wrong-secret",
                                                           **entra_params}},
        {"model_name": "embedder", "litellm_params": {"model": "azure/embed-small", "api_base": url,
                                                      "api_key": API_KEY}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_uses_the_deployment_url_and_api_key(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(
        model="gpt-azure", temperature=0.2, max_tokens=50,
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 11 and completion.usage.completion_tokens == 5
    assert completion.usage.prompt_tokens_details.cached_tokens == 2
    assert upstream.paths[0] == "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21"
    assert upstream.headers[0]["api-key"] == API_KEY and "authorization" not in upstream.headers[0]
    assert upstream.requests[0]["temperature"] == 0.2 and upstream.requests[0]["max_tokens"] == 50


def test_stream_with_usage_skips_filter_annotations(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="gpt-azure", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert all(c.id == "chatcmpl-fake123" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == "echo: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 5


def test_tool_call_round_trip_and_streamed_tool_call(client, upstream) -> None:  # type: ignore[no-untyped-def]
    first = client.chat.completions.create(model="gpt-azure", messages=[{"role": "user", "content": "weather?"}],
                                           tools=[WEATHER_TOOL], tool_choice=FORCE_WEATHER)
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and json.loads(call.function.arguments) == {"city": "Paris"}
    second = client.chat.completions.create(model="gpt-azure", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather?"}, first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ])
    assert second.choices[0].message.content == "echo: sunny, 21C"
    assert upstream.requests[1]["messages"][2] == {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"}
    chunks = list(client.chat.completions.create(model="gpt-azure", messages=[{"role": "user", "content": "w?"}],
                                                 tools=[WEATHER_TOOL], tool_choice=FORCE_WEATHER, stream=True))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_v1_api_form(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="gpt-azure-v1", messages=[{"role": "user", "content": "v1"}])
    assert completion.choices[0].message.content == "echo: v1"
    assert upstream.paths[0] == "/openai/v1/chat/completions"
    assert upstream.requests[0]["model"] == "my-gpt4o"


def test_rate_limit_keeps_retry_after(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(429, {"error": {"code": "429", "message": "Requests to the ChatCompletions_Create "
                                                   "Operation have exceeded call rate limit."}}, {"retry-after": "17"}))
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-azure", messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "17"


def test_context_length_and_content_filter(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(400, {"error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                   "130000 tokens.", "type": "invalid_request_error", "param": "messages",
        "code": "context_length_exceeded"}}))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-azure", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "context_length_exceeded"
    upstream.queue.append(Scripted(400, {"error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
                   "policy.", "type": None, "param": "prompt", "code": "content_filter", "status": 400,
        "innererror": {"code": "ResponsibleAIPolicyViolation",
                       "content_filter_result": {"violence": {"filtered": True, "severity": "high"}}}}}))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-azure", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "content_filter"


def test_entra_client_credentials_token_is_fetched_once(client, upstream) -> None:  # type: ignore[no-untyped-def]
    for text in ("first", "second"):
        completion = client.chat.completions.create(model="gpt-entra", messages=[{"role": "user", "content": text}])
        assert completion.choices[0].message.content == f"echo: {text}"
    assert len(upstream.token_requests) == 1
    token_request = upstream.token_requests[0]
    assert token_request == {"tenant": TENANT, "grant_type": "client_credentials", "client_id": CLIENT_ID,
                             "client_secret": CLIENT_SECRET, "scope": "https://cognitiveservices.azure.com/.default"}
    assert [h["authorization"] for h in upstream.headers] == ["Bearer entra-token-1"] * 2
    assert all("api-key" not in h for h in upstream.headers)


def test_entra_failure_is_the_gateways_not_the_callers(client, upstream) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="gpt-entra-bad", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code >= 500
    assert "wrong-secret" not in info.value.response.text
    assert upstream.requests == []  # never reached the resource


def test_embeddings(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="embedder", input=["a b", "c"], dimensions=4)
    assert [d.index for d in result.data] == [0, 1] and result.data[1].embedding == [1.0] * 4
    assert result.usage.prompt_tokens == 3
    assert upstream.paths[0].startswith("/openai/deployments/embed-small/embeddings?api-version=")
    assert upstream.requests[0]["dimensions"] == 4


def test_entra_token_is_refreshed_before_it_expires(client, upstream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="gpt-entra", messages=[{"role": "user", "content": "a"}])
    real = entra._clock
    monkeypatch.setattr(entra, "_clock", lambda: real() + 3599 - entra.REFRESH_MARGIN + 1)
    client.chat.completions.create(model="gpt-entra", messages=[{"role": "user", "content": "b"}])
    assert len(upstream.token_requests) == 2
    assert [h["authorization"] for h in upstream.headers] == ["Bearer entra-token-1", "Bearer entra-token-2"]


def test_responses_api_passes_through_on_both_routes(client, upstream) -> None:  # type: ignore[no-untyped-def]
    """Azure OpenAI serves the Responses API itself: the body goes as sent (model = the deployment)."""
    answer = client.responses.create(model="gpt-azure", input="hi azure", store=False, max_output_tokens=20)
    assert answer.output_text == "echo: hi azure"
    assert upstream.paths[-1] == "/openai/responses?api-version=2025-04-01-preview"
    assert upstream.requests[-1] == {"model": "my-gpt4o", "input": "hi azure", "store": False,
                                     "max_output_tokens": 20}
    assert upstream.headers[-1]["api-key"] == API_KEY
    with client.responses.stream(model="gpt-azure-v1", input="streamed", store=False) as stream:
        final = stream.get_final_response()
    assert final.output_text == "echo: streamed" and upstream.paths[-1] == "/openai/v1/responses"
