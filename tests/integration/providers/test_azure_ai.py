"""Azure AI Foundry / serverless deployments through the running app and the official openai SDK,
against the fake OpenAI-compatible upstream (a serverless-style endpoint on loopback)."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import Scripted


@pytest.fixture
def client(start_gateway, openai_upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": [
        {"model_name": "phi", "litellm_params": {"model": "azure_ai/Phi-4", "api_base": openai_upstream.base_url,
                                                 "api_key": "az-secret", "api_version": "2024-05-01-preview"}},
        {"model_name": "embed", "litellm_params": {"model": "azure_ai/Cohere-embed-v3-english",
                                                   "api_base": openai_upstream.base_url, "api_key": "az-secret"}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_passes_through_with_api_version_and_key(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="phi", messages=[{"role": "user", "content": "hi there"}],
                                                temperature=0.2, max_tokens=30)
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 5
    sent = openai_upstream.requests[0]
    assert sent["model"] == "Phi-4" and sent["temperature"] == 0.2 and sent["max_tokens"] == 30
    assert openai_upstream.urls[0] == "/v1/chat/completions?api-version=2024-05-01-preview"
    assert openai_upstream.headers[0]["authorization"] == "Bearer az-secret"


def test_stream_reports_usage(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(model="phi", messages=[{"role": "user", "content": "a b"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == "echo: a b"
    assert chunks[-1].usage.completion_tokens == 5
    assert openai_upstream.requests[0]["stream"] is True


def test_embeddings(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="embed", input=["a b", "c"], encoding_format="float")
    assert [d.index for d in result.data] == [0, 1] and result.usage.prompt_tokens == 3
    assert openai_upstream.requests[0]["model"] == "Cohere-embed-v3-english"
    assert openai_upstream.urls[0] == "/v1/embeddings"


def test_rejected_key_is_a_502_that_never_leaks_it(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(status=401, body={"error": {
        "message": "Access denied due to invalid subscription key az-secret", "code": "401"}}))
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="phi", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 502 and "az-secret" not in info.value.message


def test_rate_limit_keeps_retry_after(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(status=429, headers={"retry-after": "7"}, body={"error": {
        "message": "Rate limit is exceeded.", "code": "429"}}))
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="phi", messages=[{"role": "user", "content": "x"}])
    assert limited.value.response.headers["retry-after"] == "7"
