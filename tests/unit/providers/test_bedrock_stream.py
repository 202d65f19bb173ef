"""ConverseStream: events -> chunks, the off-loop reader, and the fake's event stream framing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer

from tollway.errors import UpstreamError
from tollway.providers.bedrock.stream import StreamTranslator, aiter_blocking


def _translate(events: list[dict[str, Any]]) -> list[Any]:
    translator = StreamTranslator("chatcmpl-1", "m", 0)
    out: list[Any] = []
    for event in events:
        for chunk in translator.feed(event):
            data = chunk.model_dump(exclude_none=True)
            out.append((data["choices"][0]["delta"], data["choices"][0].get("finish_reason"))
                       if data["choices"] else data["usage"])
    return out


def test_events_to_chunks_golden() -> None:
    assert _translate([
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "s"}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "Hi"}}},
        {"contentBlockStart": {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "t1", "name": "f"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '{"a":1}'}}}},
        {"contentBlockStart": {"contentBlockIndex": 3, "start": {"toolUse": {"toolUseId": "t2", "name": "g"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 3, "delta": {"toolUse": {"input": "{}"}}}},
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 42, "cacheReadInputTokens": 30},
                      "metrics": {"latencyMs": 1}}},
    ]) == [
        ({"role": "assistant", "content": ""}, None),
        ({"reasoning_content": "hmm"}, None),
        ({"content": "Hi"}, None),
        ({"tool_calls": [{"index": 0, "id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}}]},
         None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":1}'}}]}, None),
        ({"tool_calls": [{"index": 1, "id": "t2", "type": "function", "function": {"name": "g", "arguments": ""}}]},
         None),
        ({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}, None),
        ({}, "tool_calls"),
        {"prompt_tokens": 35, "completion_tokens": 7, "total_tokens": 42,
         "prompt_tokens_details": {"cached_tokens": 30, "cache_creation_tokens": 0}},
    ]


def test_stream_end_without_message_stop_is_an_error_and_without_metadata_gives_zero_usage() -> None:
    translator = StreamTranslator("c", "m", 0)
    translator.feed({"messageStart": {"role": "assistant"}})
    with pytest.raises(UpstreamError):
        translator.end()
    translator.feed({"messageStop": {"stopReason": "end_turn"}})
    (last,) = translator.end()
    assert last.choices == [] and last.usage is not None and last.usage.total_tokens == 0


class _BlockingStream:
    """A blocking iterable like botocore's EventStream: next() waits on the 'socket' (an Event)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.interrupted = threading.Event()
        self.closed = threading.Event()
        self.closed_by: str | None = None

    def __iter__(self) -> Iterator[int]:
        yield 1
        self.release.wait(timeout=10)
        if self.interrupted.is_set():
            raise ConnectionError("socket shut down")
        yield 2

    def interrupt(self) -> None:
        self.interrupted.set()
        self.release.set()

    def close(self) -> None:
        self.closed_by = threading.current_thread().name
        self.closed.set()


async def test_reader_keeps_the_loop_free_and_delivers_in_order() -> None:
    stream = _BlockingStream()
    items = aiter_blocking(stream, close=stream.close, interrupt=stream.interrupt)
    assert await items.__anext__() == 1
    pending = asyncio.ensure_future(items.__anext__())
    ticks = 0
    while ticks < 5:  # the loop runs other work while the worker thread is blocked
        await asyncio.sleep(0)
        ticks += 1
    assert not pending.done()
    stream.release.set()
    assert await pending == 2
    with pytest.raises(StopAsyncIteration):
        await items.__anext__()
    assert not stream.closed.is_set()  # a completed stream is left to urllib3 (connection reuse)


async def test_abandoning_the_stream_closes_it_and_stops_the_worker() -> None:
    stream = _BlockingStream()
    items = aiter_blocking(stream, close=stream.close, interrupt=stream.interrupt)
    assert await items.__anext__() == 1
    await items.aclose()  # the client went away
    assert stream.interrupted.is_set()
    assert await asyncio.to_thread(stream.closed.wait, 5)
    assert stream.closed_by == "bedrock-stream"  # closing may block on the reader's lock: never on the loop


async def test_cancellation_while_waiting_closes_the_stream() -> None:
    stream = _BlockingStream()

    async def consume() -> None:
        async for _ in aiter_blocking(stream, close=stream.close, interrupt=stream.interrupt):
            pass

    task = asyncio.ensure_future(consume())
    for _ in range(5):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stream.interrupted.is_set()
    assert await asyncio.to_thread(stream.closed.wait, 5)


async def test_worker_exceptions_reach_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("boom")

    seen = []
    with pytest.raises(ValueError, match="boom"):
        async for item in aiter_blocking(broken()):
            seen.append(item)
    assert seen == [1]


def test_fake_event_stream_framing_decodes_with_botocore() -> None:
    from tests.fakes.bedrock_upstream import event, exception

    buffer = EventStreamBuffer()
    buffer.add_data(event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "hi"}})
                    + exception("throttlingException", "slow"))
    first, second = list(buffer)
    assert first.headers == {":event-type": "contentBlockDelta", ":content-type": "application/json",
                             ":message-type": "event"}
    assert first.payload == b'{"contentBlockIndex": 0, "delta": {"text": "hi"}}'
    assert second.headers[":exception-type"] == "throttlingException"
    assert second.to_response_dict()["status_code"] == 400
