"""Gemini's SSE stream (``?alt=sse``: one ``GenerateContentResponse`` per event) -> OpenAI chunks.

Contract: text and thought deltas pass through as they arrive; each function call (Gemini
sends it whole) becomes one tool-call delta with its index, id, name and full arguments;
a candidate's ``finishReason`` becomes a chunk with an empty delta and the mapped
``finish_reason``; the stream ends with one usage-only chunk (``usageMetadata`` is
cumulative, so the last one wins). An ``{"error": ...}`` event raises the mapped error.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from tollway.errors import UpstreamError
from tollway.providers.gemini.errors import error_from_payload
from tollway.providers.gemini.response import (
    check_blocked,
    finish_reason,
    logprobs_from,
    response_id_of,
    split_parts,
    usage_from,
)
from tollway.types.chat import ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta, Usage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.providers.sse import SSEEvent


class StreamTranslator:
    """Stateful: numbers tool calls per candidate and remembers usage across events."""

    def __init__(self, model: str, provider: str) -> None:
        self.model = model
        self.provider = provider
        self.created = int(time.time())
        self.response_id: str | None = None
        self.usage: Usage | None = None
        self._started: set[int] = set()
        self._calls: dict[int, int] = {}

    @property
    def chunk_id(self) -> str:
        return f"chatcmpl-{self.response_id}"

    def _chunk(self, choices: list[ChunkChoice], usage: Usage | None = None) -> ChatChunk:
        return ChatChunk(id=self.chunk_id, created=self.created, model=self.model, choices=choices, usage=usage)

    def feed(self, data: dict[str, Any]) -> list[ChatChunk]:
        check_blocked(data, self.provider)
        if self.response_id is None:
            self.response_id = response_id_of(data)
        if data.get("modelVersion"):
            self.model = str(data["modelVersion"])
        if data.get("usageMetadata"):
            self.usage = usage_from(data["usageMetadata"])
        chunks = []
        for position, candidate in enumerate(data.get("candidates") or []):
            index = int(candidate.get("index", position))
            parts = split_parts((candidate.get("content") or {}).get("parts") or [], self.response_id, index,
                                first_call=self._calls.get(index, 0))
            delta = Delta()
            if index not in self._started:
                self._started.add(index)
                delta.role = "assistant"
            if parts.text:
                delta.content = "".join(parts.text)
            if parts.reasoning:
                delta.reasoning_content = "".join(parts.reasoning)
            if parts.tool_calls:
                first = self._calls.get(index, 0)
                delta.tool_calls = [
                    ToolCallDelta(index=first + i, id=call.id, type="function", function=FunctionCallDelta(
                        name=call.function.name, arguments=call.function.arguments))
                    for i, call in enumerate(parts.tool_calls)
                ]
                self._calls[index] = first + len(parts.tool_calls)
            if delta.model_dump(exclude_none=True):
                chunks.append(self._chunk([ChunkChoice(index=index, delta=delta,
                                                       logprobs=logprobs_from(candidate.get("logprobsResult")))]))
            if candidate.get("finishReason"):
                reason = finish_reason(candidate["finishReason"], has_tool_calls=self._calls.get(index, 0) > 0)
                chunks.append(self._chunk([ChunkChoice(index=index, delta=Delta(),
                                                       finish_reason=reason)]))  # type: ignore[arg-type]
        return chunks

    def usage_chunk(self) -> ChatChunk:
        return self._chunk([], usage=self.usage or Usage())


async def translate(events: AsyncIterator[SSEEvent], model: str, provider: str) -> AsyncIterator[ChatChunk]:
    translator = StreamTranslator(model, provider)
    async for event in events:
        try:
            payload = json.loads(event.data)
        except ValueError:
            raise UpstreamError(f"{provider}: invalid JSON in the upstream stream") from None
        if isinstance(payload, list) and payload:  # Vertex may wrap an error event in a list
            payload = payload[0]
        if not isinstance(payload, dict):
            raise UpstreamError(f"{provider}: unexpected event shape in the upstream stream")
        if "error" in payload:
            raise error_from_payload(provider, payload)
        for chunk in translator.feed(payload):
            yield chunk
    if translator.response_id is None:
        raise UpstreamError(f"{provider}: the upstream stream ended without any data")
    yield translator.usage_chunk()
