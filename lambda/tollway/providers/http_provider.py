"""``HttpProvider``: the shared plumbing for adapters that speak HTTP + JSON (+ SSE).

Subclasses describe the protocol (build the request, parse the answer, parse stream events,
map errors); this class does the I/O on the pooled client with the deployment's timeouts.
"""

from __future__ import annotations

import asyncio
import json
import time
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from tollway import deadline
from tollway.errors import TollwayError, UpstreamError, redact
from tollway.providers import extras
from tollway.providers.base import Provider
from tollway.providers.sse import SSEEvent, iter_events
from tollway.providers.transport import error_from_status, error_from_transport, http_client, read_capped, timeout

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.passthrough.answers import NativeEvent, NativeResponse
    from tollway.passthrough.wire import WireRequest
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse


#: what parsing an upstream body of the wrong shape raises (pydantic's ValidationError is a ValueError)
_UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError)


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
        upstream = await self._extras(await self.build_chat(request, stream=False))
        data = await self._send_json(upstream)
        try:
            return self.parse_chat(data, request)
        except _UNREADABLE as exc:
            raise UpstreamError(f"{self.name}: the upstream's answer is not a valid response "
                                f"({type(exc).__name__})", code="upstream_bad_response") from None

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Canonical chunks of an SSE stream. An answer that is not a stream (a JSON body, no
        events, events that do not parse) fails before its first chunk, so it can be retried."""
        upstream = await self._extras(await self.build_chat(request, stream=True))
        until = deadline.attempt_deadline(self.timeout)
        gap = min(self.stream_timeout, self.timeout)
        client = http_client()
        relayed = False
        reads = timeout(max(0.001, min(gap, deadline.remaining(until))))
        try:
            async with client.stream(
                upstream.method, upstream.url, content=_encode(upstream.json),
                headers=_json_headers(upstream.headers), timeout=reads,
            ) as response:
                if response.status_code >= 400:
                    raise self.map_error(response.status_code, await read_capped(response, self.name),
                                         response.headers)
                if _media_type(response.headers) == "application/json":
                    raise self._not_a_stream(await read_capped(response, self.name), response.headers)
                try:
                    async for chunk in self.parse_stream(iter_events(response, self.name), request):
                        relayed = True
                        yield chunk
                except _UNREADABLE as exc:
                    raise UpstreamError(f"{self.name}: the upstream sent a stream event we could not read "
                                        f"({type(exc).__name__})", code="upstream_bad_stream") from None
                if not relayed:
                    raise UpstreamError(f"{self.name}: the upstream ended the stream without sending any event",
                                        code="upstream_bad_stream")
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.stream_timeout) from None
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None

    def _not_a_stream(self, body: bytes, headers: httpx.Headers) -> TollwayError:
        """A JSON answer to a stream request: the upstream's error if it is one, else a 502."""
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and "error" in data:
            mapped = self.map_error(502, body, headers)
            mapped.message = f"{mapped.message} (sent as JSON in answer to a stream request)"
            return mapped
        return UpstreamError(f"{self.name}: the upstream answered a stream request with a JSON body, not a stream",
                             code="upstream_bad_stream")

    async def send_native(self, request: WireRequest) -> NativeResponse:
        """The upstream's own body, within the attempt's deadline and the response cap."""
        from tollway.passthrough.answers import NativeResponse
        from tollway.passthrough.readers import body_usage, is_answer

        upstream = await self._extras(await self.build_native(request, stream=False))
        try:
            body = await self._post(upstream)
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None
        try:
            data = await _loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UpstreamError(f"{self.name}: the upstream answered with invalid JSON", code="upstream_bad_response")
        if not is_answer(request.format, data):
            raise UpstreamError(f"{self.name}: the upstream's answer is not a valid response",
                                code="upstream_bad_response")
        return NativeResponse(request.format, body, data, body_usage(request.format, data))

    async def stream_native(self, request: WireRequest) -> AsyncIterator[NativeEvent]:
        """The upstream's own events, as ``chat_stream`` bounds them: reads within the gap and the
        attempt's deadline, size caps, keepalive comments dropped (never progress), and an answer that
        is not a stream fails before its first event."""
        from tollway.passthrough.readers import event_readable, stream_reader
        from tollway.passthrough.sse import fields

        upstream = await self._extras(await self.build_native(request, stream=True))
        until = deadline.attempt_deadline(self.timeout)
        gap = min(self.stream_timeout, self.timeout)
        reader = stream_reader(request.format, self.name)
        relayed = False
        reads = timeout(max(0.001, min(gap, deadline.remaining(until))))
        try:
            async with http_client().stream(
                upstream.method, upstream.url, content=_encode(upstream.json),
                headers=_json_headers(upstream.headers), timeout=reads,
            ) as response:
                if response.status_code >= 400:
                    raise self.map_error(response.status_code, await read_capped(response, self.name),
                                         response.headers)
                if _media_type(response.headers) == "application/json":
                    raise self._not_a_stream(await read_capped(response, self.name), response.headers)
                async for raw in _capped_events(response, self.name):
                    if fields(raw) == (None, ""):
                        continue  # a keepalive comment: not relayed, and no progress for the gap timeout
                    if not relayed and not event_readable(raw):
                        raise UpstreamError(f"{self.name}: the upstream sent a stream event we could not read",
                                            code="upstream_bad_stream")
                    relayed = True
                    yield reader.read(raw)
            if not relayed:
                raise UpstreamError(f"{self.name}: the upstream ended the stream without sending any event",
                                    code="upstream_bad_stream")
            reader.end()
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.stream_timeout) from None
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        try:
            upstream = await self._extras(await self.build_embed(request))
        except NotImplementedError:
            return await super().embed(request)
        return self.parse_embed(await self._send_json(upstream), request)

    async def _extras(self, upstream: UpstreamRequest) -> UpstreamRequest:
        """``upstream`` with the deployment's ``extra_headers``, ``organization`` and ``extra_body``
        (``providers.extras``) applied over what the adapter built."""
        if not extras.configured(self.deployment):
            return upstream
        added = await extras.headers(self.deployment)
        replaced = {name.lower() for name in added}
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in replaced}
        return UpstreamRequest(upstream.url, extras.body(self.deployment, upstream.json), {**kept, **added},
                               upstream.method)

    async def _send_json(self, upstream: UpstreamRequest) -> Any:
        try:
            return await self._send_json_unscrubbed(upstream)
        except TollwayError as exc:
            raise _scrubbed(exc, upstream) from None

    async def _send_json_unscrubbed(self, upstream: UpstreamRequest) -> Any:
        body = await self._post(upstream)
        try:
            return await _loads(body)
        except ValueError:
            raise UpstreamError(f"{self.name}: the upstream answered with invalid JSON") from None

    async def _post(self, upstream: UpstreamRequest) -> bytes:
        """One call, connect to last byte within the attempt's deadline, its body capped: the body
        when the upstream succeeded, its mapped error otherwise."""
        until = deadline.attempt_deadline(self.timeout)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(until + loop.time() - time.monotonic()):
                async with http_client().stream(
                    upstream.method, upstream.url, content=_encode(upstream.json),
                    headers=_json_headers(upstream.headers),
                    timeout=timeout(max(0.001, deadline.remaining(until))),
                ) as response:
                    body = await read_capped(response, self.name)
        except TimeoutError:
            raise deadline.timed_out(self.name, self.timeout) from None
        except httpx.HTTPError as exc:
            raise error_from_transport(self.name, exc, self.timeout) from None
        if response.status_code >= 400:
            raise self.map_error(response.status_code, body, response.headers)
        return body


_EVENT_ENDS = (b"\n\n", b"\r\r", b"\r\n\r\n")


async def _capped_events(response: httpx.Response, provider: str) -> AsyncIterator[bytes]:
    """The raw SSE events of ``response``, within the stream and event caps (else ResponseTooLarge); a
    last event the upstream cut off is relayed only if it can still be read (else a 502)."""
    from tollway.passthrough.sse import raw_events
    from tollway.providers import transport

    event_cap, stream_cap = transport.MAX_EVENT_BYTES, transport.MAX_STREAM_BYTES
    total = 0

    async def parts() -> AsyncIterator[bytes]:
        nonlocal total
        async for part in response.aiter_bytes():
            total += len(part)
            if total > stream_cap:
                raise transport.ResponseTooLarge(provider, "stream", stream_cap)
            yield part

    from tollway.passthrough.readers import event_readable

    try:
        async for raw in raw_events(parts(), max_event=event_cap):
            if not raw.endswith(_EVENT_ENDS) and not event_readable(raw):
                raise UpstreamError(f"{provider}: the upstream closed the stream in the middle of an event",
                                    code="upstream_bad_stream")
            yield raw
    except OverflowError:
        raise transport.ResponseTooLarge(provider, "stream event", event_cap) from None


def _media_type(headers: httpx.Headers) -> str:
    return str(headers.get("content-type", "")).split(";", 1)[0].strip().lower()


#: bodies above this many bytes are parsed off the event loop
_OFF_LOOP_BYTES = 1024 * 1024


async def _loads(body: bytes) -> Any:
    if len(body) > _OFF_LOOP_BYTES:
        return await asyncio.to_thread(json.loads, body)
    return json.loads(body)


_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")
#: header names whose values are treated as credentials too (a deployment's ``extra_headers`` may carry one)
_CREDENTIAL_WORDS = ("key", "token", "secret", "auth", "password")


def _scrubbed(error: TollwayError, upstream: UpstreamRequest) -> TollwayError:
    """The error without any credential we sent (an upstream may quote the key it was given)."""
    sent = []
    for name, value in upstream.headers.items():
        if name.lower() in _CREDENTIAL_HEADERS or any(word in name.lower() for word in _CREDENTIAL_WORDS):
            sent.append(value.split(" ", 1)[1] if name.lower() == "authorization" and " " in value else value)
    error.message = redact(error.message, tuple(sent))
    error.args = (error.message,)
    return error


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _json_headers(headers: dict[str, str]) -> dict[str, str]:
    return {"content-type": "application/json", "accept": "application/json", **headers}
