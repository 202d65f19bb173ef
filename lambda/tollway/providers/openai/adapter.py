"""The OpenAI adapter: the canonical model *is* OpenAI's, so translation is nearly nil.

Chat Completions requests pass through natively (``speaks``): the client's body with the
model replaced, deployment defaults filled in and the provider's quirks applied (renamed and
unsupported fields, ``CompatSpec``); streams always ask for the usage chunk, which the front
door removes again when the client did not ask for it.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ValidationError

from tollway.config import secrets
from tollway.errors import InternalError, UpstreamError
from tollway.passthrough.wire import OPENAI_CHAT, OPENAI_RESPONSES
from tollway.providers.catalog import OPENAI, CompatSpec
from tollway.providers.http_provider import HttpProvider, UpstreamRequest
from tollway.providers.openai.errors import stream_error
from tollway.types.chat import ChatChunk, ChatResponse
from tollway.types.embeddings import EmbeddingResponse

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.passthrough.wire import WireRequest
    from tollway.providers.sse import SSEEvent
    from tollway.types.chat import ChatRequest
    from tollway.types.embeddings import EmbeddingRequest


class OpenAIProvider(HttpProvider):
    name = "openai"
    spec: ClassVar[CompatSpec] = OPENAI
    native_formats = frozenset({OPENAI_CHAT})

    @property
    def base_url(self) -> str:
        """``api_base``, else the provider's base variable (``CompatSpec.base_env``), else its default URL."""
        base = (self.deployment.litellm_params.api_base
                or next((os.environ[name] for name in self.spec.base_env if os.environ.get(name)), None)
                or self.spec.base_url)
        if not base:
            wanted = " or ".join(("litellm_params.api_base", *self.spec.base_env))
            raise InternalError(f"deployment '{self.deployment.id}' ({self.name}) needs {wanted}")
        return secrets.resolve(base).rstrip("/")  # type: ignore[union-attr]

    def api_url(self, path: str) -> str:
        """The upstream URL of an OpenAI API path (``/chat/completions``, ``/embeddings``, ...)."""
        return f"{self.base_url}{path}"

    async def headers(self) -> dict[str, str]:
        key = await secrets.aresolve(self.deployment.litellm_params.api_key)
        if not key:
            key = next((os.environ[name] for name in self.spec.key_env if os.environ.get(name)), None)
        if not key:
            if self.spec.key_required and not self.deployment.litellm_params.api_base:
                env = " or ".join(self.spec.key_env) or "litellm_params.api_key"
                raise InternalError(f"no API key configured for deployment '{self.deployment.id}' (set {env})")
            return {}
        return {"authorization": f"Bearer {key}"}

    # ------------------------------------------------------------------ chat

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        body = self.prepare(request)
        for message in body["messages"]:
            message.pop("thinking_blocks", None)  # Anthropic's signed blocks (from /v1/messages): not OpenAI's
        for old, new in self.spec.rename.items():
            if old in body:
                body[new] = body.pop(old)
        if stream:
            body["stream"] = True
            body["stream_options"] = {**body.get("stream_options", {}), "include_usage": True}
        else:
            body.pop("stream", None)
            body.pop("stream_options", None)
        return UpstreamRequest(self.api_url("/chat/completions"), body, await self.headers())

    def speaks(self, wire_format: str) -> bool:
        """Chat Completions for every OpenAI-compatible server; the Responses API for OpenAI's own."""
        return wire_format in self.native_formats or (wire_format == OPENAI_RESPONSES and self.spec is OPENAI)

    async def build_native(self, request: WireRequest, *, stream: bool) -> UpstreamRequest:
        if request.format == OPENAI_RESPONSES:
            return UpstreamRequest(self.api_url("/responses"), self.prepare_native(request.body),
                                   await self.headers())
        body = self.prepare_native(request.body)
        for old, new in self.spec.rename.items():
            if old in body:
                body[new] = body.pop(old)
        if stream:
            body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        return UpstreamRequest(self.api_url("/chat/completions"), body, await self.headers())

    def parse_chat(self, data: Any, request: ChatRequest) -> ChatResponse:
        try:
            return ChatResponse.model_validate(data)
        except ValidationError:
            raise UpstreamError(f"{self.name}: unexpected chat completion shape from the upstream") from None

    async def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest) -> AsyncIterator[ChatChunk]:
        async for event in events:
            if event.data == "[DONE]":
                return
            try:
                payload = json.loads(event.data)
            except ValueError:
                raise UpstreamError(f"{self.name}: invalid JSON in the upstream stream") from None
            if isinstance(payload, dict) and "error" in payload:
                raise stream_error(self.name, payload)
            try:
                yield ChatChunk.model_validate(payload)
            except ValidationError:
                raise UpstreamError(f"{self.name}: unexpected chunk shape in the upstream stream") from None

    # ------------------------------------------------------------------ embeddings

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        body = request.model_dump(exclude_none=True)
        body["model"] = self.deployment.upstream_model
        return UpstreamRequest(self.api_url("/embeddings"), body, await self.headers())

    def parse_embed(self, data: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        try:
            return EmbeddingResponse.model_validate(data)
        except ValidationError:
            raise UpstreamError(f"{self.name}: unexpected embeddings shape from the upstream") from None
