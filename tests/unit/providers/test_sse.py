"""The SSE decoder over a real httpx streaming response (MockTransport, no patching)."""

from __future__ import annotations

import httpx
import pytest

from tollway.providers import transport
from tollway.providers.sse import SSEEvent, iter_events
from tollway.providers.transport import ResponseTooLarge


async def test_events_comments_multiline_and_trailing_event() -> None:
    body = b": keep-alive\n\nevent: message_start\ndata: {\"a\": 1}\n\ndata: line1\ndata: line2\n\ndata: [DONE]"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client,
        client.stream("GET", "http://upstream/") as response,
    ):
        events = [e async for e in iter_events(response)]
    assert events == [SSEEvent("message_start", '{"a": 1}'), SSEEvent(None, "line1\nline2"), SSEEvent(None, "[DONE]")]


async def _events(pieces: list[bytes]) -> list[SSEEvent]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_Pieces(pieces), headers={"content-type": "text/event-stream"})

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client,
        client.stream("GET", "http://upstream/") as response,
    ):
        return [e async for e in iter_events(response, "upstream")]


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for piece in self.pieces:
            yield piece


async def test_line_endings_split_anywhere_across_reads() -> None:
    body = b"data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\r\n"
    expected = [SSEEvent(None, "a"), SSEEvent(None, "b"), SSEEvent(None, "c"), SSEEvent(None, "d")]
    assert await _events([body]) == expected
    assert await _events([body[i:i + 1] for i in range(len(body))]) == expected  # one byte at a time
    assert await _events([body[:8], body[8:9], body[9:]]) == expected  # a CRLF split between two reads


async def test_an_event_or_a_stream_past_its_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_EVENT_BYTES", 100)
    with pytest.raises(ResponseTooLarge, match="stream event exceeds the gateway's cap of 100 bytes"):
        await _events([b"data: " + b"x" * 200 + b"\n\n"])
    with pytest.raises(ResponseTooLarge, match="stream event"):  # no newline ever: still bounded
        await _events([b"data: " + b"x" * 30] * 10)
    assert len(await _events([b": ping\n\n" * 50, b"data: ok\n\n"] * 20)) == 20  # comments end nothing
    monkeypatch.setattr(transport, "MAX_STREAM_BYTES", 1000)
    with pytest.raises(ResponseTooLarge, match="upstream's stream exceeds"):
        await _events([b"data: ok\n\n"] * 200)
