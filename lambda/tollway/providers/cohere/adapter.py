"""The Cohere adapter: v2 Chat (JSON and SSE) and v2 Embed over the shared HTTP plumbing.

``api_base`` is the bare host (``https://api.cohere.com`` by default, as the official SDK's
``base_url``); the key comes from ``api_key`` or ``COHERE_API_KEY`` / ``CO_API_KEY`` as a
bearer token. Deployment-level extras: ``input_type`` and ``truncate`` for embeddings,
``top_k`` (Cohere's ``k``), ``safety_mode``, ``thinking``, ``citation_options``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from tollway.config import secrets
from tollway.errors import InternalError, InvalidRequestError
from tollway.providers.cohere import request as translate
from tollway.providers.cohere import response as parse
from tollway.providers.http_provider import HttpProvider, UpstreamRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.providers.sse import SSEEvent
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

DEFAULT_BASE = "https://api.cohere.com"
KEY_ENV = ("COHERE_API_KEY", "CO_API_KEY")


class CohereProvider(HttpProvider):
    name = "cohere"
    unsupported_params = translate.UNSUPPORTED

    @property
    def base_url(self) -> str:
        base = secrets.resolve(self.deployment.litellm_params.api_base) or DEFAULT_BASE
        return base.rstrip("/").removesuffix("/v2").removesuffix("/v1")

    @property
    def extras(self) -> dict[str, Any]:
        return dict(self.deployment.litellm_params.model_extra or {})

    async def headers(self) -> dict[str, str]:
        key = await secrets.aresolve(self.deployment.litellm_params.api_key)
        key = key or next((os.environ[n] for n in KEY_ENV if os.environ.get(n)), None)
        if not key:
            raise InternalError(f"no API key configured for deployment '{self.deployment.id}' "
                                "(set litellm_params.api_key or COHERE_API_KEY)")
        return {"authorization": f"Bearer {key}"}

    # ------------------------------------------------------------------ chat

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        body = translate.chat_body(self.prepare(request), drop_params=self.settings.drop_params, extras=self.extras)
        if stream:
            body["stream"] = True
        return UpstreamRequest(f"{self.base_url}/v2/chat", body, await self.headers())

    def parse_chat(self, data: Any, request: ChatRequest) -> ChatResponse:
        return parse.chat_response(data, self.deployment.upstream_model)

    async def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest) -> AsyncIterator[ChatChunk]:
        async for chunk in parse.stream_chunks(events, self.deployment.upstream_model):
            yield chunk

    # ------------------------------------------------------------------ embeddings

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        texts = request.texts
        if texts is None:
            raise InvalidRequestError("cohere embeds text; token-id input is not supported", param="input")
        body = translate.embed_body(self.deployment.upstream_model, texts, dimensions=request.dimensions,
                                    extras=self.extras)
        return UpstreamRequest(f"{self.base_url}/v2/embed", body, await self.headers())

    def parse_embed(self, data: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        return parse.embeddings(data, self.deployment.upstream_model, len(request.texts or []),
                                request.encoding_format)
