"""Hugging Face Inference Providers: an OpenAI-compatible router, plus feature-extraction embeddings.

Chat goes to ``https://router.huggingface.co/v1`` (OpenAI's protocol) with ``HF_TOKEN`` /
``HUGGINGFACE_API_KEY``. The model id is the Hub repo id, optionally suffixed with a provider
or policy (``meta-llama/Llama-3.3-70B-Instruct:fireworks-ai``, ``:fastest``), sent unchanged.
``api_base`` may instead point at a dedicated Inference Endpoint's OpenAI-compatible ``/v1``.

Embeddings: with a dedicated endpoint (``api_base`` set) they use its OpenAI ``/embeddings``
route (TEI and vLLM serve one); through the router they use the HF Inference
``feature-extraction`` pipeline, which answers one pooled vector per input.
``litellm_params.hf_router_base`` moves the router (tests, proxies).
"""

from __future__ import annotations

import base64
import struct
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

from tollway.config import secrets
from tollway.errors import InvalidRequestError, UnsupportedParamError, UpstreamError
from tollway.providers.catalog import CompatSpec
from tollway.providers.http_provider import UpstreamRequest
from tollway.providers.openai.adapter import OpenAIProvider
from tollway.types.embeddings import Embedding, EmbeddingResponse, EmbeddingUsage

if TYPE_CHECKING:
    from tollway.types.embeddings import EmbeddingRequest

ROUTER = "https://router.huggingface.co"

HUGGINGFACE = CompatSpec(f"{ROUTER}/v1", ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
                         rename={"max_completion_tokens": "max_tokens"})


class HuggingFaceProvider(OpenAIProvider):
    name = "huggingface"
    spec: ClassVar[CompatSpec] = HUGGINGFACE
    #: its chat URL is its own (``build_chat``), so requests are translated rather than passed through
    native_formats = frozenset()

    @property
    def router(self) -> str:
        """The router's root: ``hf_router_base``, an ``api_base`` on the router's host, or the default."""
        extras = self.deployment.litellm_params.model_extra or {}
        if extras.get("hf_router_base"):
            return str(secrets.resolve(extras["hf_router_base"])).rstrip("/")
        base = self.dedicated_base or ""
        return base.removesuffix("/v1") if urlsplit(base).hostname == urlsplit(ROUTER).hostname else ROUTER

    @property
    def dedicated_base(self) -> str | None:
        base = secrets.resolve(self.deployment.litellm_params.api_base)
        return base.rstrip("/") if base else None

    @property
    def is_dedicated(self) -> bool:
        """Whether ``api_base`` names a dedicated endpoint (anything but the router itself)."""
        base = self.dedicated_base
        return bool(base) and urlsplit(base).hostname != urlsplit(ROUTER).hostname

    @property
    def base_url(self) -> str:
        return self.dedicated_base or f"{self.router}/v1"

    # ------------------------------------------------------------------ embeddings

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        if self.is_dedicated:
            return await super().build_embed(request)
        texts = request.texts
        if texts is None:
            raise InvalidRequestError("huggingface feature-extraction embeds text; token-id input is not supported",
                                      param="input")
        if request.dimensions is not None and not self.settings.drop_params:
            raise UnsupportedParamError(
                "huggingface feature-extraction does not support the parameter 'dimensions' "
                "(remove it, or set litellm_settings.drop_params: true to drop it)", param="dimensions",
            )
        model = quote(self.deployment.upstream_model, safe="/")
        url = f"{self.router}/hf-inference/models/{model}/pipeline/feature-extraction"
        return UpstreamRequest(url, {"inputs": texts}, await self.headers())

    def parse_embed(self, data: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        if not isinstance(data, list):
            return super().parse_embed(data, request)
        vectors = _vectors(data, len(request.texts or []))
        items = []
        for index, vector in enumerate(vectors):
            encoded: list[float] | str = vector
            if request.encoding_format == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            items.append(Embedding(index=index, embedding=encoded))
        # the pipeline reports no token counts; an approximation keeps spend non-zero
        tokens = sum(max(1, len(text) // 4) for text in request.texts or [])
        return EmbeddingResponse(data=items, model=self.deployment.upstream_model,
                                 usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))


def _vectors(data: list[Any], expected: int) -> list[list[float]]:
    """One pooled vector per input; a single input may come back as a bare vector."""
    if data and all(isinstance(x, (int, float)) for x in data):
        data = [data]
    if any(not isinstance(v, list) or not all(isinstance(x, (int, float)) for x in v) for v in data):
        raise UpstreamError("huggingface: the model returned token-level features, not one vector per input "
                            "(use a sentence-embedding model)")
    if len(data) != expected:
        raise UpstreamError(f"huggingface: expected {expected} embeddings, got {len(data)}")
    return [[float(x) for x in v] for v in data]
