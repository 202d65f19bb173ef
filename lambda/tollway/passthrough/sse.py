"""Splitting an upstream's SSE byte stream into whole events, without decoding or re-framing them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

_BOUNDARY = re.compile(rb"\r\n\r\n|\n\n|\r\r")


async def raw_events(chunks: AsyncIterator[bytes], *, max_event: int = 0) -> AsyncIterator[bytes]:
    """Each event as the upstream framed it, blank-line terminator included; a trailing event
    without its blank line (the upstream closed early) is yielded as is. With ``max_event``, an
    event (or an unfinished one held) longer than that many bytes raises OverflowError."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        start = 0
        while True:
            match = _BOUNDARY.search(buffer, start)
            if match is None:
                break
            if max_event and match.end() - start > max_event:
                raise OverflowError("SSE event too large")
            yield buffer[start:match.end()]
            start = match.end()
        buffer = buffer[start:]
        if max_event and len(buffer) > max_event:
            raise OverflowError("SSE event too large")
    if buffer.strip():
        yield buffer


def fields(raw: bytes) -> tuple[str | None, str]:
    """(event name, data) of one raw event (multi-line data joined by newlines; comments skipped)."""
    name: str | None = None
    data: list[str] = []
    for line in raw.decode("utf-8", "replace").splitlines():
        if not line or line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "data":
            data.append(value)
        elif key == "event":
            name = value
    return name, "\n".join(data)


def frame(name: str | None, data: bytes) -> bytes:
    """An SSE event around ``data`` (a JSON payload), as Anthropic frames its stream."""
    head = f"event: {name}\n".encode() if name else b""
    return head + b"data: " + data + b"\n\n"
