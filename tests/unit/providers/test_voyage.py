"""Voyage's embeddings body: its parameter names, the deployment's settings, what it refuses."""

from __future__ import annotations

import pytest

from tollway.config.models import Deployment
from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.providers import registry
from tollway.providers.base import CallSettings
from tollway.providers.voyage.adapter import VoyageProvider
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest


def provider(*, drop_params: bool = False, **params: object) -> VoyageProvider:
    deployment = Deployment.model_validate(
        {"model_name": "v", "litellm_params": {"model": "voyage/voyage-3.5", "api_key": "pa-k", **params}})
    return VoyageProvider(deployment, CallSettings(drop_params=drop_params))


def test_registered() -> None:
    assert registry.load("voyage") is VoyageProvider


async def test_body_names_and_settings() -> None:
    adapter = provider(input_type="document", output_dimension=256, truncation=False)
    upstream = await adapter.build_embed(EmbeddingRequest(model="v", input=["a"], dimensions=512,
                                                          encoding_format="float"))
    assert upstream.url == "https://api.voyageai.com/v1/embeddings"
    assert upstream.headers == {"authorization": "Bearer pa-k"}
    assert upstream.json == {"model": "voyage-3.5", "input": ["a"], "output_dimension": 512,  # the request wins
                             "input_type": "document", "truncation": False}
    base64 = await adapter.build_embed(EmbeddingRequest(model="v", input="a", encoding_format="base64"))
    assert base64.json["encoding_format"] == "base64" and base64.json["output_dimension"] == 256


async def test_refusals() -> None:
    with pytest.raises(UnsupportedParamError):
        await provider().build_embed(EmbeddingRequest(model="v", input="a", user="u"))
    dropped = await provider(drop_params=True).build_embed(EmbeddingRequest(model="v", input="a", user="u"))
    assert "user" not in dropped.json
    with pytest.raises(InvalidRequestError):
        await provider().build_embed(EmbeddingRequest(model="v", input=[1, 2]))
    chat = ChatRequest.model_validate({"model": "v", "messages": [{"role": "user", "content": "x"}]})
    with pytest.raises(InvalidRequestError, match="embeddings only"):
        await provider().build_chat(chat, stream=False)
