"""A minimal Server-Sent Events decoder over an httpx streaming response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str


async def iter_events(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    """Yield events as they complete (a blank line ends one); comments are skipped."""
    event: str | None = None
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield SSEEvent(event, "\n".join(data))
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
    if data:
        yield SSEEvent(event, "\n".join(data))
