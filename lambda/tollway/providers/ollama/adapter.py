"""The Ollama adapter: ``POST /api/chat`` (JSON, or NDJSON when streaming) and ``POST /api/embed``.

``api_base`` is the server's root, as the official ``ollama`` SDK's ``host`` (default
``http://localhost:11434``). A key (``api_key`` or ``OLLAMA_API_KEY``) is sent as a bearer
token, for ollama.com or an authenticating proxy; a local server needs none. Deployment
settings ``keep_alive``, ``num_ctx``, ``top_k``, ``min_p``, ``repeat_penalty`` and
``num_gpu`` in ``litellm_params`` pass through. Errors come as ``{"error": "..."}`` with
the HTTP status: 404 (model not pulled) is the gateway's upstream trouble, a context
overflow is ``context_length_exceeded``.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from tollway.config import secrets
from tollway.errors import InvalidRequestError, UpstreamError
from tollway.providers.http_provider import HttpProvider, UpstreamRequest
from tollway.providers.ollama.request import chat_body
from tollway.providers.ollama.response import StreamState, parse_chat
from tollway.providers.transport import error_from_transport, http_client, timeout
from tollway.types.embeddings import Embedding, EmbeddingResponse, EmbeddingUsage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.providers.sse import SSEEvent
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest

DEFAULT_BASE = "http://localhost:11434"


class OllamaProvider(HttpProvider):
    name = "ollama"
    unsupported_params: ClassVar[frozenset[str]] = frozenset({
        "logit_bias", "logprobs", "top_logprobs", "modalities", "audio", "prediction", "functions", "function_call",
    })

    @property
    def base_url(self) -> str:
        base = secrets.resolve(self.deployment.litellm_params.api_base) or DEFAULT_BASE
        return str(base).rstrip("/")

    def _settings(self) -> dict[str, Any]:
        return dict(self.deployment.litellm_params.model_extra or {})

    async def headers(self) -> dict[str, str]:
        key = await secrets.aresolve(self.deployment.litellm_params.api_key) or os.environ.get("OLLAMA_API_KEY")
        return {"authorization": f"Bearer {key}"} if key else {}

    # ------------------------------------------------------------------ chat

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        body = self.prepare(request)
        payload = await chat_body(body, request.messages, self._settings(),
                                  drop_params=self.settings.drop_params, stream=stream)
        return UpstreamRequest(f"{self.base_url}/api/chat", payload, await self.headers())

    def parse_chat(self, data: Any, request: ChatRequest) -> ChatResponse:
        return parse_chat(data, self.deployment.upstream_model)

    async def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest) -> AsyncIterator[ChatChunk]:
        # Ollama streams NDJSON, not SSE: ``chat_stream`` below reads lines itself.
        raise NotImplementedError
        yield  # pragma: no cover

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        upstream = await self._extras(await self.build_chat(request, stream=True))
        state = StreamState(self.deployment.upstream_model)
        try:
            async with http_client().stream(
                "POST", upstream.url, content=json.dumps(upstream.json, ensure_ascii=False).encode(),
                headers={**upstream.headers, "content-type": "application/json", "accept": "application/x-ndjson"},
                timeout=timeout(self.stream_timeout),
            ) as response:
                if response.status_code >= 400:
                    raise self.map_error(response.status_code, await response.aread(), response.headers)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    try:
                        data = json.loads(line)
                    except ValueError:
                        raise UpstreamError("ollama: invalid JSON in the upstream stream") from None
                    for chunk in state.feed(data):
                        yield chunk
                    if isinstance(data, dict) and data.get("done"):
                        return
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.stream_timeout) from None
        raise UpstreamError("ollama: the upstream stream ended before its final message")

    # ------------------------------------------------------------------ embeddings

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        texts = request.texts
        if texts is None:
            raise InvalidRequestError("ollama embeds text; token-id input is not supported", param="input")
        body: dict[str, Any] = {"model": self.deployment.upstream_model, "input": texts}
        if request.dimensions:
            body["dimensions"] = request.dimensions
        settings = self._settings()
        for key in ("keep_alive", "truncate"):
            if key in settings:
                body[key] = settings[key]
        return UpstreamRequest(f"{self.base_url}/api/embed", body, await self.headers())

    def parse_embed(self, data: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        vectors = data.get("embeddings") if isinstance(data, dict) else None
        if not isinstance(vectors, list):
            raise UpstreamError("ollama: unexpected embeddings shape from the upstream")
        items = []
        for index, vector in enumerate(vectors):
            encoded: list[float] | str = vector
            if request.encoding_format == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            items.append(Embedding(index=index, embedding=encoded))
        tokens = int(data.get("prompt_eval_count") or 0)
        return EmbeddingResponse(data=items, model=self.deployment.upstream_model,
                                 usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))
