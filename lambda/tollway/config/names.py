"""Names the config refers to, as plain data: provider prefixes and routing strategies.

A leaf module: config validation checks names here, and the runtime registries
(``providers.registry``, ``routing.strategies``) key their tables by the same names, so
neither side imports the other.
"""

from __future__ import annotations

from tollway.providers.catalog import CATALOG

#: provider prefixes with their own adapter (the OpenAI-compatible ones come from the catalog)
NATIVE_PROVIDERS: tuple[str, ...] = (
    "openai", "mock", "anthropic", "bedrock", "gemini", "vertex_ai", "azure", "cohere", "replicate",
    "ollama", "ollama_chat", "huggingface", "azure_ai", "sagemaker", "sagemaker_chat", "voyage",
)
#: LiteLLM's other spellings of a provider prefix -> the prefix Tollway serves it under
PROVIDER_ALIASES: dict[str, str] = {"mistralai": "mistral"}
PROVIDER_NAMES: frozenset[str] = frozenset(NATIVE_PROVIDERS) | frozenset(CATALOG)

#: ``router_settings.routing_strategy`` values (LiteLLM's names)
STRATEGY_NAMES: tuple[str, ...] = (
    "simple-shuffle", "least-busy", "latency-based-routing", "usage-based-routing", "usage-based-routing-v2",
    "cost-based-routing",
)

# Model ids LiteLLM accepts without a prefix, by how they start.
_BARE_PREFIXES = {
    "gpt-": "openai", "o1": "openai", "o3": "openai", "o4": "openai", "chatgpt-": "openai",
    "text-embedding-": "openai", "davinci": "openai", "babbage": "openai",
    "claude-": "anthropic", "gemini-": "gemini", "command": "cohere",
}


def infer_provider(model: str) -> tuple[str, str]:
    """Split ``provider/model-id``; a bare well-known OpenAI/Anthropic/... id gets its provider, and an
    alias (``PROVIDER_ALIASES``: ``mistralai/...``) the provider it names.

    Raises ValueError with a message fit for a config error.
    """
    prefix, sep, rest = model.partition("/")
    if sep and rest:
        return PROVIDER_ALIASES.get(prefix, prefix), rest
    if not sep:
        for start, provider in _BARE_PREFIXES.items():
            if model.startswith(start):
                return provider, model
    raise ValueError(f"model '{model}' needs a provider prefix such as 'openai/{model}'")
