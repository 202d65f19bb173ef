"""OpenAI-compatible providers as data: where they live, which key they use, their quirks.

Adding one is a few lines here; the shared adapter in ``openai_compatible`` does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CompatSpec:
    """How an OpenAI-compatible provider differs from OpenAI itself."""

    base_url: str | None
    key_env: tuple[str, ...] = ()
    key_required: bool = True
    #: variables naming the base URL when ``api_base`` is unset (the first one set wins over ``base_url``)
    base_env: tuple[str, ...] = ()
    #: request fields renamed before sending (canonical name -> provider name)
    rename: dict[str, str] = field(default_factory=dict)
    #: request fields the provider rejects; dropped with ``drop_params``, else a 400
    unsupported: frozenset[str] = frozenset()
    #: the same two quirks for ``/embeddings`` requests
    embed_rename: dict[str, str] = field(default_factory=dict)
    embed_unsupported: frozenset[str] = frozenset()


_MAX_TOKENS = {"max_completion_tokens": "max_tokens"}

CATALOG: dict[str, CompatSpec] = {
    "groq": CompatSpec("https://api.groq.com/openai/v1", ("GROQ_API_KEY",), rename=_MAX_TOKENS,
                       unsupported=frozenset({"logit_bias", "logprobs", "top_logprobs", "audio", "modalities"})),
    "together_ai": CompatSpec("https://api.together.xyz/v1", ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
                              rename=_MAX_TOKENS),
    "fireworks_ai": CompatSpec("https://api.fireworks.ai/inference/v1",
                               ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"), rename=_MAX_TOKENS),
    "mistral": CompatSpec("https://api.mistral.ai/v1", ("MISTRAL_API_KEY",),
                          rename={**_MAX_TOKENS, "seed": "random_seed"},
                          unsupported=frozenset({"logit_bias", "logprobs", "top_logprobs", "user"}),
                          embed_rename={"dimensions": "output_dimension"}, embed_unsupported=frozenset({"user"})),
    "nvidia_nim": CompatSpec("https://integrate.api.nvidia.com/v1", ("NVIDIA_NIM_API_KEY", "NVIDIA_API_KEY"),
                             rename=_MAX_TOKENS),
    "deepseek": CompatSpec("https://api.deepseek.com/v1", ("DEEPSEEK_API_KEY",), rename=_MAX_TOKENS),
    "xai": CompatSpec("https://api.x.ai/v1", ("XAI_API_KEY",)),
    "openrouter": CompatSpec("https://openrouter.ai/api/v1", ("OPENROUTER_API_KEY",)),
    "perplexity": CompatSpec("https://api.perplexity.ai", ("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"),
                             rename=_MAX_TOKENS),
    "cerebras": CompatSpec("https://api.cerebras.ai/v1", ("CEREBRAS_API_KEY",),
                           unsupported=frozenset({"frequency_penalty", "presence_penalty", "logit_bias"})),
    "deepinfra": CompatSpec("https://api.deepinfra.com/v1/openai", ("DEEPINFRA_API_KEY",), rename=_MAX_TOKENS),
    "hosted_vllm": CompatSpec(None, ("HOSTED_VLLM_API_KEY",), key_required=False),
    "lm_studio": CompatSpec("http://localhost:1234/v1", ("LM_STUDIO_API_KEY",), key_required=False),
    "xinference": CompatSpec("http://127.0.0.1:9997/v1", ("XINFERENCE_API_KEY",), key_required=False,
                             base_env=("XINFERENCE_API_BASE",)),
}

OPENAI = CompatSpec("https://api.openai.com/v1", ("OPENAI_API_KEY",))
