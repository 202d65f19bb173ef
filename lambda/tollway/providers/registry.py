"""Which adapter serves which provider prefix, resolved without importing any adapter.

The prefixes themselves are data in ``config.names`` (config validation reads them there).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tollway.config.names import infer_provider
from tollway.providers.catalog import CATALOG

if TYPE_CHECKING:
    from tollway.providers.base import Provider

_COMPAT = "tollway.providers.openai_compatible.adapter:CompatProvider"

#: provider prefix -> "module:Class" of its adapter
PROVIDERS: dict[str, str] = {
    "openai": "tollway.providers.openai.adapter:OpenAIProvider",
    "mock": "tollway.providers.mock.adapter:MockProvider",
    "anthropic": "tollway.providers.anthropic.adapter:AnthropicProvider",
    "bedrock": "tollway.providers.bedrock.adapter:BedrockProvider",
    "gemini": "tollway.providers.gemini.adapter:GeminiProvider",
    "vertex_ai": "tollway.providers.vertex_ai.adapter:VertexAIProvider",
    "azure": "tollway.providers.azure.adapter:AzureProvider",
    "cohere": "tollway.providers.cohere.adapter:CohereProvider",
    "replicate": "tollway.providers.replicate.adapter:ReplicateProvider",
    "ollama": "tollway.providers.ollama.adapter:OllamaProvider",
    "ollama_chat": "tollway.providers.ollama.adapter:OllamaProvider",
    "huggingface": "tollway.providers.huggingface.adapter:HuggingFaceProvider",
    "azure_ai": "tollway.providers.azure_ai.adapter:AzureAIProvider",
    "sagemaker": "tollway.providers.sagemaker.adapter:SageMakerProvider",
    "sagemaker_chat": "tollway.providers.sagemaker.adapter:SageMakerChatProvider",
    "voyage": "tollway.providers.voyage.adapter:VoyageProvider",
    **{name: _COMPAT for name in CATALOG},
}

__all__ = ["PROVIDERS", "infer_provider", "load"]


def load(provider: str) -> type[Provider]:
    """Import and return the adapter class for ``provider`` (first call only pays the import)."""
    module_name, _, attr = PROVIDERS[provider].partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
