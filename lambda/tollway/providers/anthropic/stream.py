"""Anthropic stream events -> canonical ``ChatChunk``s.

``StreamTranslator.feed`` is pure (event in, chunks out) so the mapping is testable without
I/O. Content blocks carry their own index in Anthropic's stream; OpenAI numbers tool calls
separately, so each ``tool_use`` block gets the next tool-call index. The ``message_delta``
event carries the stop reason (-> a chunk with ``finish_reason``) and cumulative usage;
``message_stop`` produces the final usage-only chunk. An ``error`` event raises.
"""

from __future__ import annotations

import time
from typing import Any

from tollway.errors import TollwayError, UpstreamError
from tollway.providers.anthropic.errors import from_stream_event
from tollway.providers.anthropic.response import finish_reason, to_usage
from tollway.types.chat import ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta


class StreamTranslator:
    def __init__(self, model: str) -> None:
        self.id = "msg_unknown"
        self.model = model
        self.created = int(time.time())
        self.usage: dict[str, Any] = {}
        self.finished = False
        self._tool_index: dict[int, int] = {}

    def feed(self, event: str, data: dict[str, Any]) -> list[ChatChunk]:
        kind = data.get("type") or event
        handler = _HANDLERS.get(kind)
        return handler(self, data) if handler else []  # ping and unknown future events are ignored

    def end(self) -> None:
        """Called when the upstream closed the stream; an unfinished message is an upstream failure."""
        if not self.finished:
            raise UpstreamError("anthropic: the stream ended before the message was complete")

    # ------------------------------------------------------------------ events

    def _message_start(self, data: dict[str, Any]) -> list[ChatChunk]:
        message = data.get("message") or {}
        self.id = str(message.get("id") or self.id)
        self.model = str(message.get("model") or self.model)
        self.usage = dict(message.get("usage") or {})
        return [self._chunk(Delta(role="assistant", content=""))]

    def _block_start(self, data: dict[str, Any]) -> list[ChatChunk]:
        block = data.get("content_block") or {}
        kind = block.get("type")
        if kind == "tool_use":
            index = len(self._tool_index)
            self._tool_index[int(data.get("index", 0))] = index
            call = ToolCallDelta(index=index, id=block.get("id"), type="function",
                                 function=FunctionCallDelta(name=block.get("name"), arguments=""))
            return [self._chunk(Delta(tool_calls=[call]))]
        if kind == "text" and block.get("text"):
            return [self._chunk(Delta(content=block["text"]))]
        if kind == "thinking" and block.get("thinking"):
            return [self._chunk(Delta(reasoning_content=block["thinking"]))]
        return []

    def _block_delta(self, data: dict[str, Any]) -> list[ChatChunk]:
        delta = data.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta":
            return [self._chunk(Delta(content=delta.get("text", "")))]
        if kind == "thinking_delta":
            return [self._chunk(Delta(reasoning_content=delta.get("thinking", "")))]
        if kind == "input_json_delta":
            index = self._tool_index.get(int(data.get("index", 0)))
            if index is None:
                return []
            arguments = FunctionCallDelta(arguments=delta.get("partial_json", ""))
            return [self._chunk(Delta(tool_calls=[ToolCallDelta(index=index, function=arguments)]))]
        return []  # signature_delta, citations_delta: nothing in OpenAI's stream shape

    def _message_delta(self, data: dict[str, Any]) -> list[ChatChunk]:
        usage = data.get("usage") or {}
        self.usage.update({k: v for k, v in usage.items() if v is not None})
        reason = finish_reason((data.get("delta") or {}).get("stop_reason"))
        if reason is None:
            return []
        return [self._chunk(Delta(), finish=reason)]

    def _message_stop(self, data: dict[str, Any]) -> list[ChatChunk]:
        self.finished = True
        return [ChatChunk(id=self.id, created=self.created, model=self.model, choices=[],
                          usage=to_usage(self.usage))]

    def _error(self, data: dict[str, Any]) -> list[ChatChunk]:
        error: TollwayError = from_stream_event(data)
        raise error

    def _chunk(self, delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)  # type: ignore[arg-type]
        return ChatChunk(id=self.id, created=self.created, model=self.model, choices=[choice])


_HANDLERS = {
    "message_start": StreamTranslator._message_start,
    "content_block_start": StreamTranslator._block_start,
    "content_block_delta": StreamTranslator._block_delta,
    "message_delta": StreamTranslator._message_delta,
    "message_stop": StreamTranslator._message_stop,
    "error": StreamTranslator._error,
}
