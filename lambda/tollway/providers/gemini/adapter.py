"""Google AI Studio (``gemini/<model>``): the Gemini API with an API key.

Calls ``{api_base}/v1beta/models/{model}:generateContent`` (``:streamGenerateContent?alt=sse``
for streams, ``:batchEmbedContents`` for embeddings); ``api_base`` is the bare host, as
in Google's SDKs. The key goes in ``x-goog-api-key``, from ``litellm_params.api_key`` or
``GEMINI_API_KEY`` / ``GOOGLE_API_KEY``. Translation lives in the sibling modules so
that Vertex AI, which speaks the same content format, reuses it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from tollway.config import secrets
from tollway.errors import InternalError
from tollway.providers.gemini import embeddings
from tollway.providers.gemini.errors import map_error
from tollway.providers.gemini.request import build_body
from tollway.providers.gemini.response import parse_response
from tollway.providers.gemini.stream import translate
from tollway.providers.http_provider import HttpProvider, UpstreamRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from tollway.errors import TollwayError
    from tollway.providers.sse import SSEEvent
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

DEFAULT_BASE = "https://generativelanguage.googleapis.com"
KEY_ENV = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_VERSIONS = ("/v1", "/v1beta", "/v1alpha")


class GeminiProvider(HttpProvider):
    name = "gemini"
    unsupported_params = frozenset({"logit_bias", "prediction", "audio"})

    # ------------------------------------------------------------------ where and how to call

    def _extra(self, key: str) -> Any:
        return (self.deployment.litellm_params.model_extra or {}).get(key)

    @property
    def model_path(self) -> str:
        model = self.deployment.upstream_model
        return model if "/" in model else f"models/{model}"

    async def url(self, method: str) -> str:
        """The URL of one model method (``generateContent``, ``batchEmbedContents``, ...)."""
        base = (secrets.resolve(self.deployment.litellm_params.api_base) or DEFAULT_BASE).rstrip("/")
        if not base.endswith(_VERSIONS):
            base += "/v1beta"
        return f"{base}/{self.model_path}:{method}"

    async def auth_headers(self) -> dict[str, str]:
        key = await secrets.aresolve(self.deployment.litellm_params.api_key)
        if not key:
            key = next((os.environ[name] for name in KEY_ENV if os.environ.get(name)), None)
        if not key:
            if self.deployment.litellm_params.api_base:
                return {}
            raise InternalError(f"no API key configured for deployment '{self.deployment.id}' "
                                "(set litellm_params.api_key, GEMINI_API_KEY or GOOGLE_API_KEY)")
        return {"x-goog-api-key": key}

    # ------------------------------------------------------------------ chat

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        payload = await build_body(self.prepare(request), drop_params=self.settings.drop_params)
        safety = self._extra("safety_settings")
        if safety:
            payload["safetySettings"] = safety
        headers = await self.auth_headers()
        url = await self.url("streamGenerateContent") + "?alt=sse" if stream else await self.url("generateContent")
        return UpstreamRequest(url, payload, headers)

    def parse_chat(self, data: Any, request: ChatRequest) -> ChatResponse:
        return parse_response(data, self.deployment.upstream_model, self.name)

    def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return translate(events, self.deployment.upstream_model, self.name)

    def map_error(self, status: int, body: bytes, headers: httpx.Headers) -> TollwayError:
        return map_error(self.name, status, body, headers)

    # ------------------------------------------------------------------ embeddings

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        body = embeddings.batch_body(request, self.model_path, self.name)
        headers = await self.auth_headers()
        return UpstreamRequest(await self.url("batchEmbedContents"), body, headers)

    def parse_embed(self, data: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        return embeddings.parse_batch(data, request, self.deployment.upstream_model, self.name)
