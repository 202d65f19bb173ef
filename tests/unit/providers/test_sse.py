"""The SSE decoder over a real httpx streaming response (MockTransport, no patching)."""

from __future__ import annotations

import httpx

from tollway.providers.sse import SSEEvent, iter_events


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
