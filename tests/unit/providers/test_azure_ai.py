"""Azure AI Foundry / serverless endpoints: URL per endpoint kind, api-version, and which auth header."""

from __future__ import annotations

import pytest

from tollway.config.models import Deployment
from tollway.errors import InternalError
from tollway.providers import registry
from tollway.providers.azure_ai.adapter import AzureAIProvider
from tollway.providers.base import CallSettings
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest


def provider(**params: object) -> AzureAIProvider:
    deployment = Deployment.model_validate(
        {"model_name": "m", "litellm_params": {"model": "azure_ai/Phi-4", "api_key": "az-key", **params}})
    return AzureAIProvider(deployment, CallSettings())


def request() -> ChatRequest:
    return ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}]})


def test_registered() -> None:
    assert registry.load("azure_ai") is AzureAIProvider


async def test_foundry_resource_uses_the_models_route_and_api_key_header() -> None:
    adapter = provider(api_base="https://my-res.services.ai.azure.com", api_version="2024-05-01-preview")
    upstream = await adapter.build_chat(request(), stream=False)
    assert upstream.url == ("https://my-res.services.ai.azure.com/models/chat/completions"
                            "?api-version=2024-05-01-preview")
    assert upstream.headers == {"api-key": "az-key"}
    assert upstream.json["model"] == "Phi-4"
    same = provider(api_base="https://my-res.services.ai.azure.com/models/")
    assert (await same.build_chat(request(), stream=False)).url == \
        "https://my-res.services.ai.azure.com/models/chat/completions"


async def test_serverless_endpoint_uses_bearer_and_its_own_path() -> None:
    adapter = provider(api_base="https://Phi-4-xyz.eastus2.models.ai.azure.com")
    upstream = await adapter.build_chat(request(), stream=True)
    assert upstream.url == "https://Phi-4-xyz.eastus2.models.ai.azure.com/chat/completions"
    assert upstream.headers == {"authorization": "Bearer az-key"}
    assert upstream.json["stream_options"] == {"include_usage": True}


async def test_api_version_already_in_the_base_is_kept() -> None:
    adapter = provider(api_base="https://x.services.ai.azure.com/models?api-version=2025-01-01", api_version="old")
    embed = await adapter.build_embed(EmbeddingRequest(model="m", input="a"))
    assert embed.url == "https://x.services.ai.azure.com/models/embeddings?api-version=2025-01-01"


async def test_base_and_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_AI_API_BASE", "https://env.services.ai.azure.com")
    monkeypatch.setenv("AZURE_AI_API_KEY", "env-key")
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": "azure_ai/Phi-4"}})
    upstream = await AzureAIProvider(deployment, CallSettings()).build_chat(request(), stream=False)
    assert upstream.url == "https://env.services.ai.azure.com/models/chat/completions"
    assert upstream.headers == {"api-key": "env-key"}


async def test_missing_base_or_key_is_the_gateways_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_AI_API_BASE", raising=False)
    monkeypatch.delenv("AZURE_AI_API_KEY", raising=False)
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": "azure_ai/Phi-4"}})
    with pytest.raises(InternalError, match="AZURE_AI_API_BASE"):
        await AzureAIProvider(deployment, CallSettings()).build_chat(request(), stream=False)
    keyless = Deployment.model_validate({"model_name": "m", "litellm_params": {
        "model": "azure_ai/Phi-4", "api_base": "https://a.models.ai.azure.com"}})
    with pytest.raises(InternalError, match="AZURE_AI_API_KEY"):
        await AzureAIProvider(keyless, CallSettings()).build_chat(request(), stream=False)
