"""Canonical chunks -> the Responses API's typed stream events.

The sequence is the one OpenAI documents and its SDK's ``responses.stream`` helper parses:
``response.created``, ``response.in_progress``, then per output item ``output_item.added``,
its parts and deltas, ``output_item.done``; finally ``response.completed`` (or
``response.incomplete``). A failure after the first byte ends the stream with
``response.failed`` carrying an OpenAI-shaped error, never an empty 200.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tollway.api.responses_api.translate import (
    finished,
    function_call_item,
    new_id,
    output_text,
    reasoning_item,
)
from tollway.api.stream_failure import in_band
from tollway.errors import TollwayError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from tollway.api.context import RequestContext
    from tollway.passthrough.answers import NativeEvent
    from tollway.types.chat import ChatChunk, Delta

#: ``ResponseError.code`` values by HTTP status class (the SDK accepts only its documented codes)
_FAILED_CODES = {400: "invalid_prompt", 429: "rate_limit_exceeded"}


class _Item:
    """The output item being streamed: its kind, position, id and accumulated text."""

    def __init__(self, kind: str, output_index: int, call_id: str = "", name: str = "", key: int | None = None):
        self.kind = kind
        self.output_index = output_index
        self.id = new_id({"message": "msg", "reasoning": "rs", "function_call": "fc"}[kind])
        self.call_id = call_id
        self.name = name
        self.key = key
        self.text = ""

    def done(self, spaces: frozenset[str]) -> dict[str, Any]:
        if self.kind == "message":
            return {"id": self.id, "type": "message", "role": "assistant", "status": "completed",
                    "content": [output_text(self.text)]}
        if self.kind == "reasoning":
            return reasoning_item(self.id, self.text)
        return function_call_item(self.id, self.call_id, self.name, self.text, spaces=spaces)


class ResponseEvents:
    """Turns chunks into events for one response; ``response`` holds the final object once done."""

    def __init__(self, response: dict[str, Any], *, spaces: frozenset[str] = frozenset()) -> None:
        self.response = response
        self._spaces = spaces
        self._sequence = 0
        self._item: _Item | None = None
        self._finish_reason: str | None = None

    def event(self, kind: str, **data: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self._sequence, **data}
        self._sequence += 1
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        return f"event: {kind}\ndata: {text}\n\n".encode("utf-8", "backslashreplace")

    def start(self) -> list[bytes]:
        return [self.event("response.created", response=dict(self.response)),
                self.event("response.in_progress", response=dict(self.response))]

    def chunk(self, chunk: ChatChunk) -> list[bytes]:
        events: list[bytes] = []
        for choice in chunk.choices[:1]:
            events += self._delta(choice.delta)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
        return events

    def _delta(self, delta: Delta) -> list[bytes]:
        events: list[bytes] = []
        if delta.reasoning_content:
            events += self._open("reasoning")
            events.append(self._text_delta(delta.reasoning_content))
        if delta.content:
            events += self._open("message")
            events.append(self._text_delta(delta.content))
        for call in delta.tool_calls or []:
            item = self._item
            if call.id or item is None or item.kind != "function_call" or item.key != call.index:
                name = (call.function.name if call.function else None) or ""
                events += self._open("function_call", call_id=call.id or f"call_{call.index}", name=name,
                                     key=call.index)
            if call.function and call.function.arguments:
                events.append(self._text_delta(call.function.arguments))
        return events

    def _open(self, kind: str, *, call_id: str = "", name: str = "", key: int | None = None) -> list[bytes]:
        if self._item is not None and self._item.kind == kind and kind != "function_call":
            return []
        events = self._close()
        item = self._item = _Item(kind, len(self.response["output"]), call_id, name, key)
        where = {"item_id": item.id, "output_index": item.output_index}
        if kind == "message":
            added = {"id": item.id, "type": "message", "role": "assistant", "status": "in_progress", "content": []}
            events.append(self.event("response.output_item.added", item=added, output_index=item.output_index))
            events.append(self.event("response.content_part.added", **where, content_index=0,
                                     part=output_text("")))
        elif kind == "reasoning":
            events.append(self.event("response.output_item.added", item={"id": item.id, "type": "reasoning",
                                                                         "summary": []},
                                     output_index=item.output_index))
            events.append(self.event("response.reasoning_summary_part.added", **where, summary_index=0,
                                     part={"type": "summary_text", "text": ""}))
        else:
            added = function_call_item(item.id, call_id, name, "", status="in_progress", spaces=self._spaces)
            events.append(self.event("response.output_item.added", item=added, output_index=item.output_index))
        return events

    def _text_delta(self, text: str) -> bytes:
        item = self._item
        assert item is not None
        item.text += text
        where = {"item_id": item.id, "output_index": item.output_index}
        if item.kind == "message":
            return self.event("response.output_text.delta", **where, content_index=0, delta=text, logprobs=[])
        if item.kind == "reasoning":
            return self.event("response.reasoning_summary_text.delta", **where, summary_index=0, delta=text)
        return self.event("response.function_call_arguments.delta", **where, delta=text)

    def _close(self) -> list[bytes]:
        item, self._item = self._item, None
        if item is None:
            return []
        where = {"item_id": item.id, "output_index": item.output_index}
        events: list[bytes] = []
        if item.kind == "message":
            events.append(self.event("response.output_text.done", **where, content_index=0, text=item.text,
                                     logprobs=[]))
            events.append(self.event("response.content_part.done", **where, content_index=0,
                                     part=output_text(item.text)))
        elif item.kind == "reasoning":
            events.append(self.event("response.reasoning_summary_text.done", **where, summary_index=0,
                                     text=item.text))
            events.append(self.event("response.reasoning_summary_part.done", **where, summary_index=0,
                                     part={"type": "summary_text", "text": item.text}))
        else:
            events.append(self.event("response.function_call_arguments.done", **where,
                                     name=item.done(self._spaces)["name"], arguments=item.text))
        done = item.done(self._spaces)
        self.response["output"].append(done)
        events.append(self.event("response.output_item.done", item=done, output_index=item.output_index))
        return events

    def finish(self, ctx: RequestContext) -> list[bytes]:
        """Close the open item and mark the response done (its terminal event is ``terminal()``)."""
        events = self._close()
        finished(self.response, self._finish_reason, ctx.usage)
        return events

    def terminal(self) -> bytes:
        kind = "response.incomplete" if self.response["status"] == "incomplete" else "response.completed"
        return self.event(kind, response=self.response)

    def fail(self, error: TollwayError) -> list[bytes]:
        events = self._close()
        code = _FAILED_CODES.get(error.status_code, "server_error")
        self.response.update(status="failed", error={"code": code, "message": error.to_dict()["error"]["message"]})
        events.append(self.event("response.failed", response=self.response))
        return events


async def response_events(chunks: AsyncIterator[ChatChunk], events: ResponseEvents, ctx: RequestContext,
                          on_done: Callable[[dict[str, Any]], Awaitable[None]]) -> AsyncIterator[bytes]:
    """The SSE body; ``on_done`` receives the final response (to store it) unless the stream failed."""
    for event in events.start():
        yield event
    try:
        async for chunk in chunks:
            if chunk.usage is not None:
                ctx.usage = chunk.usage
            for event in events.chunk(chunk):
                yield event
    except Exception as exc:  # noqa: BLE001 - headers are sent: reported in-band, never a traceback
        for event in events.fail(in_band(ctx, exc)):
            yield event
        return
    for event in events.finish(ctx):
        yield event
    await on_done(events.response)  # stored before the client hears it is done, so a next turn finds it
    yield events.terminal()


_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})


async def native_response_events(events: AsyncIterator[NativeEvent], ctx: RequestContext,
                                 on_done: Callable[[dict[str, Any]], Awaitable[None]]) -> AsyncIterator[bytes]:
    """OpenAI's own Responses stream, relayed as received. The terminal event is held back until the
    stream has ended (and been settled) so it can carry ``usage.cost`` and the response is stored before
    the client hears it is done; a gateway-side failure after the first byte becomes ``response.failed``."""
    latest: dict[str, Any] = {}
    terminal: NativeEvent | None = None
    relayed = 0
    try:
        async for event in events:
            response = event.data.get("response") if event.data is not None else None
            if isinstance(response, dict):
                latest = response
                if event.name in _TERMINAL:
                    terminal = event
                    continue
            relayed += 1
            yield event.raw
    except Exception as exc:  # noqa: BLE001 - headers are sent: reported in-band, never a traceback
        yield _failed(latest, in_band(ctx, exc), relayed)
        return
    if terminal is None or terminal.data is None:
        return
    if terminal.name == "response.failed":
        ctx.error_type = "upstream_error"
        yield terminal.raw
        return
    await on_done(latest)
    payload = json.dumps(terminal.data, separators=(",", ":"), ensure_ascii=False)
    yield f"event: {terminal.name}\ndata: {payload}\n\n".encode("utf-8", "backslashreplace")


def _failed(response: dict[str, Any], error: TollwayError, sequence: int) -> bytes:
    code = _FAILED_CODES.get(error.status_code, "server_error")
    failed = {**response, "status": "failed",
              "error": {"code": code, "message": error.to_dict()["error"]["message"]}}
    payload = json.dumps({"type": "response.failed", "sequence_number": sequence, "response": failed},
                         separators=(",", ":"), ensure_ascii=False)
    return f"event: response.failed\ndata: {payload}\n\n".encode("utf-8", "backslashreplace")
