"""The JSON objects inside a response stream's ``PayloadPart`` bytes, however the container split them.

``InvokeEndpointWithResponseStream`` relays the container's response body in parts of any size:
a part may hold half a line or several lines. Serving containers write one JSON object per line,
either as server-sent events (TGI, LMI and vLLM: ``data: {...}``, blank lines between events, a
``data: [DONE]`` at the end of OpenAI-style streams) or as bare JSON lines (``{"outputs": [...]}``).
Both are read here; SSE comments and ``event:``/``id:`` lines carry nothing. The stream and each
line are capped like every other upstream stream (``transport``; the whole stream by the adapter).
"""

from __future__ import annotations

import json
from typing import Any

from tollway.errors import UpstreamError
from tollway.providers import transport

_IGNORED = (b":", b"event:", b"id:", b"retry:")


class PayloadLines:
    """Feed ``PayloadPart`` bytes in, get the complete lines' JSON values out."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.done = False
        self._buffer = b""

    def feed(self, data: bytes) -> list[Any]:
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        if len(self._buffer) > transport.MAX_EVENT_BYTES:
            raise transport.ResponseTooLarge(self.provider, "stream event", transport.MAX_EVENT_BYTES)
        return [value for value in map(self._parse, lines) if value is not None]

    def end(self) -> list[Any]:
        """The last line, when the stream did not end with a newline."""
        rest, self._buffer = self._buffer, b""
        value = self._parse(rest)
        return [] if value is None else [value]

    def _parse(self, line: bytes) -> Any:
        text = line.strip()
        if not text or text.startswith(_IGNORED):
            return None
        if text.startswith(b"data:"):
            text = text[5:].strip()
        if text == b"[DONE]":
            self.done = True
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise UpstreamError(f"{self.provider}: the endpoint streamed a line that is not JSON",
                                code="upstream_bad_stream") from None
