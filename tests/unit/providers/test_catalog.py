"""The OpenAI-compatible catalog as data: default URLs, key variables, renamed and unsupported fields."""

from __future__ import annotations

import pytest

from tollway.config.models import Deployment
from tollway.errors import InternalError, UnsupportedParamError
from tollway.providers import registry
from tollway.providers.base import CallSettings
from tollway.providers.catalog import CATALOG
from tollway.providers.openai_compatible.adapter import CompatProvider
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

DEFAULT_BASES = {
    "groq": "https://api.groq.com/openai/v1",
    "together_ai": "https://api.together.xyz/v1",
    "fireworks_ai": "https://api.fireworks.ai/inference/v1",
    "mistral": "https://api.mistral.ai/v1",
    "nvidia_nim": "https://integrate.api.nvidia.com/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "xai": "https://api.x.ai/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "perplexity": "https://api.perplexity.ai",
    "cerebras": "https://api.cerebras.ai/v1",
    "deepinfra": "https://api.deepinfra.com/v1/openai",
    "lm_studio": "http://localhost:1234/v1",
    "xinference": "http://127.0.0.1:9997/v1",
}


def provider(provider: str, *, drop_params: bool = False, **params: object) -> CompatProvider:
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": f"{provider}/x", **params}})
    return CompatProvider(deployment, CallSettings(drop_params=drop_params))


def request(**fields: object) -> ChatRequest:
    return ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields})


def test_every_catalog_provider_is_registered_to_the_shared_adapter() -> None:
    for name in CATALOG:
        assert registry.load(name) is CompatProvider
    assert set(DEFAULT_BASES) | {"hosted_vllm"} == set(CATALOG)


@pytest.mark.parametrize("name", sorted(DEFAULT_BASES))
async def test_default_url_and_key(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = CATALOG[name]
    for env in spec.key_env:
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv(spec.key_env[-1], "from-env")
    upstream = await provider(name).build_chat(request(), stream=False)
    assert upstream.url == f"{DEFAULT_BASES[name]}/chat/completions"
    assert upstream.headers == {"authorization": "Bearer from-env"}
    assert upstream.json["model"] == "x" and provider(name).name == name


async def test_a_missing_key_is_a_gateway_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    with pytest.raises(InternalError, match="DEEPSEEK_API_KEY"):
        await provider("deepseek").build_chat(request(), stream=False)


async def test_hosted_vllm_needs_an_api_base_but_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOSTED_VLLM_API_KEY", raising=False)
    with pytest.raises(InternalError, match="api_base"):
        await provider("hosted_vllm").build_chat(request(), stream=False)
    upstream = await provider("hosted_vllm", api_base="http://vllm:8000/v1").build_chat(request(), stream=False)
    assert upstream.url == "http://vllm:8000/v1/chat/completions" and upstream.headers == {}


async def test_xinference_base_and_key_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XINFERENCE_API_KEY", raising=False)
    monkeypatch.delenv("XINFERENCE_API_BASE", raising=False)
    upstream = await provider("xinference").build_chat(request(), stream=False)
    assert upstream.url == "http://127.0.0.1:9997/v1/chat/completions" and upstream.headers == {}
    monkeypatch.setenv("XINFERENCE_API_BASE", "http://xinf:9997/v1/")
    monkeypatch.setenv("XINFERENCE_API_KEY", "xk")
    upstream = await provider("xinference").build_chat(request(), stream=False)
    assert upstream.url == "http://xinf:9997/v1/chat/completions"
    assert upstream.headers == {"authorization": "Bearer xk"}
    explicit = await provider("xinference", api_base="http://other:1/v1").build_chat(request(), stream=False)
    assert explicit.url == "http://other:1/v1/chat/completions"  # api_base wins over the variable


def test_mistralai_is_lite_llms_spelling_of_mistral() -> None:
    deployment = Deployment.model_validate(
        {"model_name": "m", "litellm_params": {"model": "mistralai/mistral-large-latest"}})
    assert deployment.provider == "mistral" and deployment.upstream_model == "mistral-large-latest"
    assert registry.load(deployment.provider) is CompatProvider


async def test_mistral_quirks() -> None:
    upstream = await provider("mistral", api_key="k").build_chat(request(seed=5, max_completion_tokens=9),
                                                                  stream=True)
    body = upstream.json
    assert body["random_seed"] == 5 and body["max_tokens"] == 9 and "seed" not in body
    assert body["stream_options"] == {"include_usage": True}
    with pytest.raises(UnsupportedParamError, match="'user'"):
        await provider("mistral", api_key="k").build_chat(request(user="u"), stream=False)


async def test_mistral_embeddings_quirks() -> None:
    upstream = await provider("mistral", api_key="k").build_embed(
        EmbeddingRequest(model="m", input=["a"], dimensions=8, encoding_format="float"))
    assert upstream.url == "https://api.mistral.ai/v1/embeddings"
    assert upstream.json == {"model": "x", "input": ["a"], "output_dimension": 8, "encoding_format": "float"}
    with pytest.raises(UnsupportedParamError) as info:
        await provider("mistral", api_key="k").build_embed(EmbeddingRequest(model="m", input="a", user="u"))
    assert info.value.param == "user"
    dropped = await provider("mistral", api_key="k", drop_params=True).build_embed(
        EmbeddingRequest(model="m", input="a", user="u"))
    assert "user" not in dropped.json


async def test_other_catalog_embeddings_are_plain_openai() -> None:
    upstream = await provider("together_ai", api_key="k").build_embed(
        EmbeddingRequest(model="m", input="a", dimensions=8, user="u"))
    assert upstream.json == {"model": "x", "input": "a", "dimensions": 8, "user": "u"}


@pytest.mark.parametrize(("name", "param"), [("groq", "logprobs"), ("groq", "logit_bias"),
                                             ("cerebras", "presence_penalty"), ("mistral", "top_logprobs")])
async def test_unsupported_params_unless_dropped(name: str, param: str) -> None:
    value: object = {"1": 1.0} if param == "logit_bias" else (True if param == "logprobs" else 1)
    fields = {param: value, **({"logprobs": True} if param == "top_logprobs" else {})}
    with pytest.raises(UnsupportedParamError) as info:
        await provider(name, api_key="k").build_chat(request(**fields), stream=False)
    assert info.value.param in fields
    dropped = await provider(name, api_key="k", drop_params=True).build_chat(request(**fields), stream=False)
    assert param not in dropped.json
