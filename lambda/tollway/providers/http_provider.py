"""``HttpProvider``: the shared plumbing for adapters that speak HTTP + JSON (+ SSE).

Subclasses describe the protocol (build the request, parse the answer, parse stream events,
map errors); this class does the I/O on the pooled client with the deployment's timeouts.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from tollway.errors import TollwayError, UpstreamError, redact
from tollway.providers.base import Provider
from tollway.providers.sse import SSEEvent, iter_events
from tollway.providers.transport import error_from_status, error_from_transport, http_client, timeout

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.passthrough.answers import NativeEvent, NativeResponse
    from tollway.passthrough.wire import WireRequest
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse


@dataclass
class UpstreamRequest:
    url: str
    json: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


class HttpProvider(Provider):
    # ------------------------------------------------------------------ protocol (subclass)

    @abstractmethod
    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest: ...

    @abstractmethod
    def parse_chat(self, data: Any, request: ChatRequest) -> ChatResponse: ...

    @abstractmethod
    def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest) -> AsyncIterator[ChatChunk]: ...

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        raise NotImplementedError

    def parse_embed(self, data: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        raise NotImplementedError

    async def build_native(self, request: WireRequest, *, stream: bool) -> UpstreamRequest:
        """The upstream call for a request this provider ``speaks`` (its body as the client sent it)."""
        raise NotImplementedError(f"{self.name} does not speak {request.format}")

    def map_error(self, status: int, body: bytes, headers: httpx.Headers) -> TollwayError:
        return error_from_status(self.name, status, body, headers)

    # ------------------------------------------------------------------ I/O (shared)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        upstream = await self.build_chat(request, stream=False)
        return self.parse_chat(await self._send_json(upstream), request)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        upstream = await self.build_chat(request, stream=True)
        client = http_client()
        try:
            async with client.stream(
                upstream.method, upstream.url, content=_encode(upstream.json),
                headers=_json_headers(upstream.headers), timeout=timeout(self.stream_timeout),
            ) as response:
                if response.status_code >= 400:
                    raise self.map_error(response.status_code, await response.aread(), response.headers)
                async for chunk in self.parse_stream(iter_events(response), request):
                    yield chunk
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.stream_timeout) from None
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None

    async def send_native(self, request: WireRequest) -> NativeResponse:
        from tollway.passthrough.answers import NativeResponse
        from tollway.passthrough.readers import body_usage

        upstream = await self.build_native(request, stream=False)
        try:
            response = await self._post(upstream)
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UpstreamError(f"{self.name}: the upstream answered with invalid JSON")
        return NativeResponse(request.format, response.content, data, body_usage(request.format, data))

    async def stream_native(self, request: WireRequest) -> AsyncIterator[NativeEvent]:
        from tollway.passthrough.readers import stream_reader
        from tollway.passthrough.sse import raw_events

        upstream = await self.build_native(request, stream=True)
        reader = stream_reader(request.format, self.name)
        try:
            async with http_client().stream(
                upstream.method, upstream.url, content=_encode(upstream.json),
                headers=_json_headers(upstream.headers), timeout=timeout(self.stream_timeout),
            ) as response:
                if response.status_code >= 400:
                    raise self.map_error(response.status_code, await response.aread(), response.headers)
                async for raw in raw_events(response.aiter_bytes()):
                    yield reader.read(raw)
            reader.end()
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.stream_timeout) from None
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        try:
            upstream = await self.build_embed(request)
        except NotImplementedError:
            return await super().embed(request)
        return self.parse_embed(await self._send_json(upstream), request)

    async def _send_json(self, upstream: UpstreamRequest) -> Any:
        try:
            return await self._send_json_unscrubbed(upstream)
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None

    async def _send_json_unscrubbed(self, upstream: UpstreamRequest) -> Any:
        response = await self._post(upstream)
        try:
            return response.json()
        except ValueError:
            raise UpstreamError(f"{self.name}: the upstream answered with invalid JSON") from None


    async def _post(self, upstream: UpstreamRequest) -> httpx.Response:
        """Send the call; the upstream's response when it succeeded, its mapped error otherwise."""
        try:
            response = await http_client().request(
                upstream.method, upstream.url, content=_encode(upstream.json),
                headers=_json_headers(upstream.headers), timeout=timeout(self.timeout),
            )
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.timeout) from None
        if response.status_code >= 400:
            raise self.map_error(response.status_code, response.content, response.headers)
        return response


_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")


def _scrubbed(error: TollwayError, upstream: UpstreamRequest) -> TollwayError:
    """The error without any credential we sent (an upstream may quote the key it was given)."""
    sent = []
    for name, value in upstream.headers.items():
        if name.lower() in _CREDENTIAL_HEADERS:
            sent.append(value.split(" ", 1)[1] if name.lower() == "authorization" and " " in value else value)
    error.message = redact(error.message, tuple(sent))
    error.args = (error.message,)
    return error


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _json_headers(headers: dict[str, str]) -> dict[str, str]:
    return {"content-type": "application/json", "accept": "application/json", **headers}
