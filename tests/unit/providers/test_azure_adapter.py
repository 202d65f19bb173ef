"""Azure OpenAI: URL building (deployment and v1 forms), auth headers, error mapping, stream filtering."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tollway.config.models import Deployment
from tollway.errors import ContentPolicyError, ContextWindowExceededError, InternalError, RateLimitError
from tollway.providers.azure.adapter import DEFAULT_API_VERSION, AzureProvider
from tollway.providers.base import CallSettings
from tollway.providers.sse import SSEEvent
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

REQUEST = ChatRequest.model_validate({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]})


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION",
                 "AZURE_API_BASE", "AZURE_API_VERSION", "AZURE_AD_TOKEN", "AZURE_TENANT_ID",
                 "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(name, raising=False)


def azure(**params: Any) -> AzureProvider:
    params = {"model": "azure/my-gpt4o", "api_base": "https://res.openai.azure.com/", **params}
    deployment = Deployment.model_validate({"model_name": "gpt", "litellm_params": params})
    return AzureProvider(deployment, CallSettings())


async def test_deployment_url_with_default_api_version_and_api_key() -> None:
    upstream = await azure(api_key="k1").build_chat(REQUEST, stream=False)
    assert upstream.url == (f"https://res.openai.azure.com/openai/deployments/my-gpt4o/chat/completions"
                            f"?api-version={DEFAULT_API_VERSION}")
    assert upstream.headers == {"api-key": "k1"}
    assert upstream.json["messages"] == [{"role": "user", "content": "hi"}]


async def test_api_version_from_params_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_API_VERSION", "2025-01-01-preview")
    monkeypatch.setenv("AZURE_API_KEY", "env-key")
    assert azure().url("embeddings").endswith("/openai/deployments/my-gpt4o/embeddings?api-version=2025-01-01-preview")
    assert azure(api_version="2024-06-01").url("chat/completions").endswith("?api-version=2024-06-01")
    assert await azure().headers() == {"api-key": "env-key"}
    monkeypatch.delenv("AZURE_API_KEY")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "sdk-key")
    assert await azure().headers() == {"api-key": "sdk-key"}


async def test_v1_api_form_has_openai_paths_and_no_api_version() -> None:
    provider = azure(api_base="https://res.openai.azure.com/openai/v1/", api_key="k", api_version="2024-10-21")
    upstream = await provider.build_chat(REQUEST, stream=True)
    assert upstream.url == "https://res.openai.azure.com/openai/v1/chat/completions"
    assert upstream.json["model"] == "my-gpt4o" and upstream.json["stream_options"] == {"include_usage": True}
    embed = await provider.build_embed(EmbeddingRequest(model="e", input="x"))
    assert embed.url == "https://res.openai.azure.com/openai/v1/embeddings"


def test_endpoint_normalisation_and_quoting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert azure(api_base="https://r.openai.azure.com/openai").url("chat/completions").startswith(
        "https://r.openai.azure.com/openai/deployments/my-gpt4o/")
    assert "/deployments/a%2Fb/" in azure(model="azure/a/b").url("chat/completions")
    deployment = Deployment.model_validate({"model_name": "g", "litellm_params": {"model": "azure/d"}})
    with pytest.raises(InternalError):
        AzureProvider(deployment, CallSettings()).url("chat/completions")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://sdk.openai.azure.com")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-06-01")
    assert AzureProvider(deployment, CallSettings()).url("x") == (
        "https://sdk.openai.azure.com/openai/deployments/d/x?api-version=2024-06-01")
    monkeypatch.setenv("AZURE_API_BASE", "https://env.openai.azure.com")
    assert AzureProvider(deployment, CallSettings()).url("x").startswith("https://env.openai.azure.com/openai/")


async def test_entra_token_wins_over_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert await azure(api_key="k", azure_ad_token="eyJ0").headers() == {"authorization": "Bearer eyJ0"}
    monkeypatch.setenv("TOKEN_VAR", "eyJenv")
    assert await azure(azure_ad_token="os.environ/TOKEN_VAR").headers() == {"authorization": "Bearer eyJenv"}
    monkeypatch.setenv("AZURE_AD_TOKEN", "eyJ-ambient")
    assert await azure().headers() == {"authorization": "Bearer eyJ-ambient"}


async def test_no_credentials_is_a_gateway_error() -> None:
    with pytest.raises(InternalError) as info:
        await azure(tenant_id="t", client_id="c").headers()  # no secret: not usable
    assert "api_key" in info.value.message


def test_content_filter_and_other_errors() -> None:
    provider = azure(api_key="k")
    body = {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                                 "management policy.", "type": None, "param": "prompt", "code": "content_filter",
                      "status": 400, "innererror": {"code": "ResponsibleAIPolicyViolation",
                                                    "content_filter_result": {"hate": {"filtered": True}}}}}
    assert isinstance(provider.map_error(400, json.dumps(body).encode(), httpx.Headers()), ContentPolicyError)
    inner_only = {"error": {"message": "Request blocked.", "code": "BadRequest",
                            "innererror": {"code": "ResponsibleAIPolicyViolation"}}}
    error = provider.map_error(400, json.dumps(inner_only).encode(), httpx.Headers())
    assert isinstance(error, ContentPolicyError) and error.code == "content_filter"
    context = {"error": {"message": "This model's maximum context length is 128000 tokens.",
                         "code": "context_length_exceeded"}}
    assert isinstance(provider.map_error(400, json.dumps(context).encode(), httpx.Headers()),
                      ContextWindowExceededError)
    limited = provider.map_error(429, b'{"error": {"code": "429", "message": "Rate limit"}}',
                                 httpx.Headers({"retry-after": "12"}))
    assert isinstance(limited, RateLimitError) and limited.headers["retry-after"] == "12"


async def test_stream_skips_prompt_filter_annotations() -> None:
    async def events() -> AsyncIterator[SSEEvent]:
        yield SSEEvent(None, json.dumps({"choices": [], "created": 0, "id": "", "model": "", "object": "",
                                         "prompt_filter_results": [{"prompt_index": 0}]}))
        yield SSEEvent(None, json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
                                         "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None,
                                                      "content_filter_results": {}}]}))
        yield SSEEvent(None, json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
                                         "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                                                  "total_tokens": 2}}))
        yield SSEEvent(None, "[DONE]")

    chunks = [c async for c in azure(api_key="k").parse_stream(events(), REQUEST)]
    assert [c.id for c in chunks] == ["c1", "c1"]
    assert chunks[0].choices[0].delta.content == "hi" and chunks[1].usage is not None
