"""A Server-Sent Events decoder over an httpx streaming response, with size caps.

Lines end in LF, CRLF or CR; comments (``: ping``) are skipped; a blank line ends an event.
The decoder buffers at most one event: one larger than ``MAX_EVENT_BYTES``, or a stream
longer than ``MAX_STREAM_BYTES`` in total, ends with ``ResponseTooLarge`` (502 naming the cap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tollway.providers import transport
from tollway.providers.transport import ResponseTooLarge

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str


async def iter_events(response: httpx.Response, provider: str = "upstream") -> AsyncIterator[SSEEvent]:
    """Yield events as they complete (a blank line ends one); comments are skipped."""
    event_cap, stream_cap = transport.MAX_EVENT_BYTES, transport.MAX_STREAM_BYTES
    event: str | None = None
    data: list[str] = []
    pending = b""  # bytes of the current event not yet split into lines
    held = 0  # bytes held for the current event (its decoded lines plus ``pending``)
    total = 0
    async for piece in response.aiter_bytes():
        total += len(piece)
        if total > stream_cap:
            raise ResponseTooLarge(provider, "stream", stream_cap)
        pending += piece
        if b"\n" not in piece and b"\r" not in piece:
            if held + len(pending) > event_cap:
                raise ResponseTooLarge(provider, "stream event", event_cap)
            continue
        lines = pending.splitlines(keepends=True)
        # hold back an unfinished line (one ending in a lone CR may be the first half of a CRLF)
        pending = lines.pop() if not lines[-1].endswith(b"\n") else b""
        for raw in lines:
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            if not line:
                if data:
                    yield SSEEvent(event, "\n".join(data))
                event, data, held = None, [], 0
                continue
            held += len(raw)
            if held > event_cap:
                raise ResponseTooLarge(provider, "stream event", event_cap)
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value
        if held + len(pending) > event_cap:
            raise ResponseTooLarge(provider, "stream event", event_cap)
    tail = pending.decode("utf-8", "replace").rstrip("\r\n")
    if tail.startswith("data:"):
        data.append(tail[5:].removeprefix(" "))
    elif tail.startswith("event:"):
        event = tail[6:].removeprefix(" ")
    if data:
        yield SSEEvent(event, "\n".join(data))
