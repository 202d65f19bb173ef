"""Canonical chunks -> the Messages API's SSE events (message_start ... message_stop)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tollway.api.anthropic.translate import STOP_REASONS, message_id, usage_block
from tollway.api.stream_failure import in_band
from tollway.errors import TollwayError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.api.context import RequestContext
    from tollway.passthrough.answers import NativeEvent
    from tollway.types.chat import ChatChunk


def error_body(error: TollwayError) -> dict[str, Any]:
    """Anthropic's error envelope, which also carries OpenAI's fields (param, code)."""
    kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 503: "overloaded_error"}
    inner = error.to_dict()["error"]
    inner["type"] = kinds.get(error.status_code, "invalid_request_error" if error.status_code < 500 else "api_error")
    return {"type": "error", "error": inner}


class _Blocks:
    """Tracks the open content block so deltas of a new kind close it and open the next."""

    def __init__(self) -> None:
        self.index = -1
        self.kind: str | None = None
        self.tool_key: int | None = None

    def switch(self, kind: str, start: dict[str, Any], tool_key: int | None = None) -> list[bytes]:
        if self.kind == kind and self.tool_key == tool_key:
            return []
        events = self.close()
        self.index += 1
        self.kind, self.tool_key = kind, tool_key
        events.append(_event("content_block_start", {"type": "content_block_start", "index": self.index,
                                                      "content_block": start}))
        return events

    def close(self) -> list[bytes]:
        if self.kind is None:
            return []
        self.kind = None
        return [_event("content_block_stop", {"type": "content_block_stop", "index": self.index})]


async def message_events(chunks: AsyncIterator[ChatChunk], ctx: RequestContext, model: str, *,
                         input_tokens: int = 0) -> AsyncIterator[bytes]:
    """The Messages API stream for canonical chunks. ``message_start`` carries ``input_tokens`` (the
    prompt's estimate: the upstream reports usage only at the end); ``message_delta`` the real usage."""
    blocks = _Blocks()
    stop_reason = "end_turn"
    started = False
    try:
        async for chunk in chunks:
            if not started:
                started = True
                message: dict[str, Any] = {
                    "id": message_id(chunk.id), "type": "message", "role": "assistant", "model": chunk.model or model,
                    "content": [], "stop_reason": None, "stop_sequence": None,
                    "usage": {"input_tokens": input_tokens, "output_tokens": 0}}
                yield _event("message_start", {"type": "message_start", "message": message})
            if chunk.usage is not None:
                ctx.usage = chunk.usage
            for choice in chunk.choices[:1]:
                delta = choice.delta
                if delta.reasoning_content:
                    for e in blocks.switch("thinking", {"type": "thinking", "thinking": "", "signature": ""}):
                        yield e
                    yield _delta(blocks.index, {"type": "thinking_delta", "thinking": delta.reasoning_content})
                if delta.content:
                    for e in blocks.switch("text", {"type": "text", "text": ""}):
                        yield e
                    yield _delta(blocks.index, {"type": "text_delta", "text": delta.content})
                for call in delta.tool_calls or []:
                    if call.id or blocks.kind != "tool_use" or blocks.tool_key != call.index:
                        name = call.function.name if call.function else ""
                        start = {"type": "tool_use", "id": call.id or f"toolu_{call.index}", "name": name or "",
                                 "input": {}}
                        for e in blocks.switch("tool_use", start, tool_key=call.index):
                            yield e
                    if call.function and call.function.arguments:
                        yield _delta(blocks.index, {"type": "input_json_delta",
                                                    "partial_json": call.function.arguments})
                if choice.finish_reason:
                    stop_reason = STOP_REASONS.get(choice.finish_reason, "end_turn")
    except Exception as exc:  # noqa: BLE001 - headers are sent: reported in-band, never a traceback
        yield _event("error", error_body(in_band(ctx, exc)))
        return
    for e in blocks.close():
        yield e
    yield _event("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason,
                                                                      "stop_sequence": None},
                                   "usage": usage_block(ctx.usage)})
    yield _event("message_stop", {"type": "message_stop"})


async def native_events(events: AsyncIterator[NativeEvent], ctx: RequestContext) -> AsyncIterator[bytes]:
    """A Claude deployment's stream, relayed as received; a failure after the first byte becomes an
    ``error`` event, as Anthropic sends one."""
    try:
        async for event in events:
            yield event.raw
    except Exception as exc:  # noqa: BLE001 - headers are sent: reported in-band, never a traceback
        yield _event("error", error_body(in_band(ctx, exc)))


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
