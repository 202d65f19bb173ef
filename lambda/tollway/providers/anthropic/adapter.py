"""``anthropic/<model>``: Claude through the Messages API (``POST {api_base}/v1/messages``).

``api_base`` is the bare host, as the official SDK's ``base_url`` (default
``https://api.anthropic.com``). The key is ``litellm_params.api_key`` (a literal or a secret
reference) or ``ANTHROPIC_API_KEY``; it is sent as ``x-api-key`` with ``anthropic-version``.
Optional ``litellm_params.anthropic_beta`` adds the ``anthropic-beta`` header.

Messages API requests pass through natively (``speaks``): the client's body with the model
replaced, its ``anthropic-beta`` (merged with the deployment's) and ``anthropic-version``
headers forwarded; ``count_tokens`` asks ``/v1/messages/count_tokens``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from tollway.config import secrets
from tollway.errors import InternalError, UnsupportedParamError, UpstreamError
from tollway.passthrough.wire import ANTHROPIC_MESSAGES
from tollway.providers.anthropic import errors
from tollway.providers.anthropic.request import to_messages_body
from tollway.providers.anthropic.response import to_chat_response
from tollway.providers.anthropic.stream import StreamTranslator
from tollway.providers.http_provider import HttpProvider, UpstreamRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from tollway.errors import TollwayError
    from tollway.passthrough.wire import WireRequest
    from tollway.providers.sse import SSEEvent
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse

DEFAULT_BASE = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
KEY_ENV = "ANTHROPIC_API_KEY"

#: OpenAI parameters with no Messages API equivalent (a 400 naming them unless ``drop_params``)
UNSUPPORTED = frozenset({
    "logprobs", "top_logprobs", "seed", "presence_penalty", "frequency_penalty", "logit_bias", "modalities",
    "audio", "prediction", "functions", "function_call", "store", "service_tier", "metadata",
})


#: the request fields ``/v1/messages/count_tokens`` takes
COUNTED = frozenset({"messages", "system", "tools", "tool_choice", "thinking", "mcp_servers", "output_config",
                     "context_management"})


def merge_betas(*values: object) -> list[str]:
    """Beta flags from headers (comma-separated) and config (a string or a list), each once, in order."""
    out: list[str] = []
    for value in values:
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
        out.extend(str(item).strip() for item in items if str(item).strip() and str(item).strip() not in out)
    return out


class AnthropicProvider(HttpProvider):
    name = "anthropic"
    unsupported_params = UNSUPPORTED
    extension_params = frozenset({"top_k"})
    native_formats = frozenset({ANTHROPIC_MESSAGES})

    @property
    def base_url(self) -> str:
        base = (secrets.resolve(self.deployment.litellm_params.api_base) or DEFAULT_BASE).rstrip("/")
        return base.removesuffix("/v1")  # a base written with the version still means the host

    async def headers(self, forwarded: dict[str, str] | None = None) -> dict[str, str]:
        key = await secrets.aresolve(self.deployment.litellm_params.api_key) or os.environ.get(KEY_ENV)
        if not key:
            raise InternalError(f"no API key configured for deployment '{self.deployment.id}' "
                                f"(set litellm_params.api_key or {KEY_ENV})")
        forwarded = forwarded or {}
        headers = {"x-api-key": key, "anthropic-version": forwarded.get("anthropic-version") or API_VERSION}
        beta = merge_betas(forwarded.get("anthropic-beta"), (self.deployment.litellm_params.model_extra or {})
                           .get("anthropic_beta"))
        if beta:
            headers["anthropic-beta"] = ",".join(beta)
        return headers

    # ------------------------------------------------------------------ protocol

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        body = self.prepare(request)
        if (body.get("n") or 1) > 1 and not self.settings.drop_params:
            raise UnsupportedParamError("anthropic returns one choice per request; 'n' must be 1 "
                                        "(or set litellm_settings.drop_params: true)", param="n")
        payload = to_messages_body(body, model=self.deployment.upstream_model, stream=stream)
        return UpstreamRequest(f"{self.base_url}/v1/messages", payload, await self.headers())

    def parse_chat(self, data: Any, request: ChatRequest) -> ChatResponse:
        return to_chat_response(data)

    async def build_native(self, request: WireRequest, *, stream: bool) -> UpstreamRequest:
        body = {**request.body, "model": self.deployment.upstream_model}
        return UpstreamRequest(f"{self.base_url}/v1/messages", body, await self.headers(request.headers))

    async def count_tokens(self, request: WireRequest) -> int | None:
        body = {k: v for k, v in request.body.items() if k in COUNTED}
        body["model"] = self.deployment.upstream_model
        upstream = UpstreamRequest(f"{self.base_url}/v1/messages/count_tokens", body,
                                   await self.headers(request.headers))
        data = await self._send_json(upstream)
        tokens = data.get("input_tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, int):
            raise UpstreamError("anthropic: unexpected count_tokens shape from the upstream")
        return tokens

    async def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest) -> AsyncIterator[ChatChunk]:
        translator = StreamTranslator(self.deployment.upstream_model)
        async for event in events:
            try:
                payload = json.loads(event.data)
            except ValueError:
                raise UpstreamError("anthropic: invalid JSON in the upstream stream") from None
            if not isinstance(payload, dict):
                raise UpstreamError("anthropic: unexpected event shape in the upstream stream")
            for chunk in translator.feed(event.event or "", payload):
                yield chunk
            if translator.finished:
                return
        translator.end()

    def map_error(self, status: int, body: bytes, headers: httpx.Headers) -> TollwayError:
        return errors.from_response(status, body, headers)
