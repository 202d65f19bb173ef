"""ConverseStream: the blocking boto3 event stream consumed off the loop, and its events -> chunks.

``aiter_blocking`` runs the iteration in a dedicated daemon thread that hands events to the
loop through an ``asyncio.Queue``; the loop never blocks on a socket read. When the consumer
stops early (client gone, cancellation) the loop only *interrupts* the read (a socket
shutdown, which returns at once and wakes a blocked ``recv``); the worker thread then closes
the stream itself. Closing from the loop would block it: the reader holds the buffer's lock.

``StreamTranslator.feed`` is pure: one boto3 event dict in, chunks out. ``messageStop``
carries the stop reason; the ``metadata`` event after it carries usage and yields the final
usage-only chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import TYPE_CHECKING, Any

from tollway.errors import UpstreamError
from tollway.providers.bedrock.response import finish_reason, to_usage
from tollway.types.chat import ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterable

_END = object()


def interrupt_event_stream(events: Any) -> None:
    """Wake a thread blocked reading a botocore ``EventStream`` by shutting its socket down."""
    raw = getattr(events, "_raw_stream", None)
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


async def aiter_blocking(stream: Iterable[Any], close: Any = None, interrupt: Any = None) -> AsyncGenerator[Any, None]:
    """Items of a blocking iterable, read in a worker thread; exceptions are re-raised here.

    ``interrupt()`` (must not block) wakes the worker when the consumer stops early;
    ``close()`` then runs in the worker thread.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening any more
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        complete = False
        try:
            for item in stream:
                if stop.is_set():
                    return
                put((True, item))
            complete = True
            put((True, _END))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which maps it
            put((False, exc))
        finally:
            if not complete and close is not None:
                with contextlib.suppress(Exception):
                    close()

    thread = threading.Thread(target=work, name="bedrock-stream", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = await queue.get()
            if not ok:
                raise item
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        if interrupt is not None and thread.is_alive():
            with contextlib.suppress(Exception):
                interrupt()


class StreamTranslator:
    def __init__(self, chunk_id: str, model: str, created: int) -> None:
        self.id = chunk_id
        self.model = model
        self.created = created
        self.stopped = False
        self.finished = False
        self._tool_index: dict[int, int] = {}

    def feed(self, event: dict[str, Any]) -> list[ChatChunk]:
        if "messageStart" in event:
            return [self._chunk(Delta(role="assistant", content=""))]
        if "contentBlockStart" in event:
            return self._block_start(event["contentBlockStart"])
        if "contentBlockDelta" in event:
            return self._block_delta(event["contentBlockDelta"])
        if "messageStop" in event:
            self.stopped = True
            return [self._chunk(Delta(), finish=finish_reason(event["messageStop"].get("stopReason")))]
        if "metadata" in event:
            self.finished = True
            usage = to_usage(event["metadata"].get("usage") or {})
            return [ChatChunk(id=self.id, created=self.created, model=self.model, choices=[], usage=usage)]
        return []  # contentBlockStop and future event types carry nothing for OpenAI's shape

    def end(self) -> list[ChatChunk]:
        """The stream closed: a missing ``messageStop`` is a failure; a missing ``metadata`` means no usage."""
        if not self.stopped:
            raise UpstreamError("bedrock: the stream ended before the message was complete")
        if self.finished:
            return []
        self.finished = True
        return [ChatChunk(id=self.id, created=self.created, model=self.model, choices=[], usage=to_usage({}))]

    def _block_start(self, data: dict[str, Any]) -> list[ChatChunk]:
        use = (data.get("start") or {}).get("toolUse")
        if not use:
            return []
        index = len(self._tool_index)
        self._tool_index[int(data.get("contentBlockIndex", 0))] = index
        call = ToolCallDelta(index=index, id=use.get("toolUseId"), type="function",
                             function=FunctionCallDelta(name=use.get("name"), arguments=""))
        return [self._chunk(Delta(tool_calls=[call]))]

    def _block_delta(self, data: dict[str, Any]) -> list[ChatChunk]:
        delta = data.get("delta") or {}
        if "text" in delta:
            return [self._chunk(Delta(content=delta["text"]))]
        if "toolUse" in delta:
            index = self._tool_index.get(int(data.get("contentBlockIndex", 0)))
            if index is None:
                return []
            arguments = FunctionCallDelta(arguments=delta["toolUse"].get("input", ""))
            return [self._chunk(Delta(tool_calls=[ToolCallDelta(index=index, function=arguments)]))]
        reasoning = delta.get("reasoningContent") or {}
        if reasoning.get("text"):
            return [self._chunk(Delta(reasoning_content=reasoning["text"]))]
        return []

    def _chunk(self, delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)  # type: ignore[arg-type]
        return ChatChunk(id=self.id, created=self.created, model=self.model, choices=[choice])
