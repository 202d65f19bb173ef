"""Hugging Face: router vs dedicated endpoint URLs, token variables, feature-extraction embeddings."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from tollway.config.models import Deployment
from tollway.errors import InternalError, InvalidRequestError, UnsupportedParamError, UpstreamError
from tollway.providers.base import CallSettings
from tollway.providers.huggingface.adapter import HuggingFaceProvider
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

REQUEST = ChatRequest.model_validate({"model": "llama", "messages": [{"role": "user", "content": "hi"}],
                                      "max_completion_tokens": 20})


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGINGFACE_API_KEY", raising=False)


def hf(drop_params: bool = False, **params: Any) -> HuggingFaceProvider:
    params = {"model": "huggingface/meta-llama/Llama-3.3-70B-Instruct:fireworks-ai", **params}
    return HuggingFaceProvider(Deployment.model_validate({"model_name": "llama", "litellm_params": params}),
                               CallSettings(drop_params=drop_params))


async def test_router_url_token_and_provider_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    upstream = await hf().build_chat(REQUEST, stream=False)
    assert upstream.url == "https://router.huggingface.co/v1/chat/completions"
    assert upstream.headers == {"authorization": "Bearer hf_env"}
    assert upstream.json["model"] == "meta-llama/Llama-3.3-70B-Instruct:fireworks-ai"
    assert upstream.json["max_tokens"] == 20 and "max_completion_tokens" not in upstream.json


async def test_second_key_variable_and_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InternalError):
        await hf().headers()
    monkeypatch.setenv("HUGGINGFACE_API_KEY", "hf_second")
    assert await hf().headers() == {"authorization": "Bearer hf_second"}
    assert await hf(api_key="hf_param").headers() == {"authorization": "Bearer hf_param"}


async def test_dedicated_endpoint_uses_its_v1() -> None:
    provider = hf(api_base="https://xyz.us-east-1.aws.endpoints.huggingface.cloud/v1/", api_key="hf_k")
    assert (await provider.build_chat(REQUEST, stream=True)).url == (
        "https://xyz.us-east-1.aws.endpoints.huggingface.cloud/v1/chat/completions")
    embed = await provider.build_embed(EmbeddingRequest(model="e", input="x", dimensions=8))
    assert embed.url.endswith(".cloud/v1/embeddings") and embed.json["dimensions"] == 8


async def test_router_embeddings_use_feature_extraction() -> None:
    provider = hf(model="huggingface/sentence-transformers/all-MiniLM-L6-v2", api_key="hf_k")
    request = EmbeddingRequest(model="e", input=["a b", "c"], encoding_format="base64")
    upstream = await provider.build_embed(request)
    assert upstream.url == ("https://router.huggingface.co/hf-inference/models/sentence-transformers/"
                            "all-MiniLM-L6-v2/pipeline/feature-extraction")
    assert upstream.json == {"inputs": ["a b", "c"]}
    result = provider.parse_embed([[0.5, 1.5], [2.0, 4.0]], request)
    assert struct.unpack("<2f", base64.b64decode(result.data[1].embedding)) == (2.0, 4.0)  # type: ignore[arg-type]
    assert result.model == "sentence-transformers/all-MiniLM-L6-v2" and result.usage.prompt_tokens >= 2
    single = provider.parse_embed([0.1, 0.2], EmbeddingRequest(model="e", input="x"))
    assert single.data[0].embedding == pytest.approx([0.1, 0.2])
    assert hf(hf_router_base="http://127.0.0.1:9/").router == "http://127.0.0.1:9"


async def test_feature_extraction_limits() -> None:
    provider = hf(api_key="hf_k")
    with pytest.raises(UnsupportedParamError):
        await provider.build_embed(EmbeddingRequest(model="e", input="x", dimensions=8))
    assert "dimensions" not in (await hf(drop_params=True, api_key="k").build_embed(
        EmbeddingRequest(model="e", input="x", dimensions=8))).json
    with pytest.raises(InvalidRequestError):
        await provider.build_embed(EmbeddingRequest(model="e", input=[1, 2]))
    with pytest.raises(UpstreamError, match="token-level"):
        provider.parse_embed([[[0.1], [0.2]]], EmbeddingRequest(model="e", input="x"))


async def test_api_base_on_the_router_is_not_a_dedicated_endpoint() -> None:
    provider = hf(api_base="https://router.huggingface.co/v1", api_key="k",
                  model="huggingface/BAAI/bge-small-en-v1.5")
    assert not provider.is_dedicated
    assert (await provider.build_chat(REQUEST, stream=False)).url == "https://router.huggingface.co/v1/chat/completions"
    embed = await provider.build_embed(EmbeddingRequest(model="e", input="x"))
    assert embed.url == "https://router.huggingface.co/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction"
