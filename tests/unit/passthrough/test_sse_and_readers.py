"""Raw SSE splitting and the per-format readers: events relayed untouched, only usage events parsed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from tollway.errors import RateLimitError, ServiceUnavailableError, UpstreamError
from tollway.passthrough.readers import AnthropicStream, OpenAIStream, body_usage, event_type
from tollway.passthrough.sse import fields, frame, raw_events
from tollway.passthrough.wire import ANTHROPIC_MESSAGES, OPENAI_CHAT, WireRequest


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _split(*parts: bytes) -> list[bytes]:
    async def collect() -> list[bytes]:
        return [event async for event in raw_events(_chunks(*parts))]

    return asyncio.run(collect())


def test_events_keep_their_bytes_across_arbitrary_chunk_boundaries() -> None:
    stream = b'event: a\ndata: {"x":1}\n\n: comment\n\ndata: {"y":"\xc3\xa9"}\r\n\r\ndata: tail'
    whole = _split(stream)
    assert whole == [b'event: a\ndata: {"x":1}\n\n', b": comment\n\n", b'data: {"y":"\xc3\xa9"}\r\n\r\n', b"data: tail"]
    assert _split(*(stream[i:i + 1] for i in range(len(stream)))) == whole
    assert b"".join(whole) == stream


def test_fields_and_frame() -> None:
    assert fields(b"event: ping\ndata: {}\n\n") == ("ping", "{}")
    assert fields(b"data: a\ndata: b\n\n") == (None, "a\nb")
    framed = frame("message_stop", b'{"type":"message_stop"}')
    assert framed == b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def test_event_type_reads_the_first_key_and_falls_back_to_parsing() -> None:
    assert event_type(b'{"type":"content_block_delta","index":0}') == "content_block_delta"
    assert event_type(b'{"index":0,"type":"message_delta"}') == "message_delta"
    assert event_type(b"not json") is None


def _anthropic(name: str, data: dict[str, object]) -> bytes:
    return frame(name, json.dumps({"type": name, **data}).encode())


def test_anthropic_reader_parses_only_usage_events_and_accumulates_usage() -> None:
    reader = AnthropicStream("anthropic")
    start = reader.read(_anthropic("message_start", {"message": {"usage": {
        "input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 1}}}))
    assert start.usage is not None and start.usage.prompt_tokens == 15 and start.usage.cached_tokens == 5
    delta = reader.read(_anthropic("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "x"}}))
    assert delta.usage is None and delta.data is None and delta.name == "content_block_delta"
    end = reader.read(_anthropic("message_delta", {"delta": {"stop_reason": "end_turn"},
                                                   "usage": {"output_tokens": 7}}))
    assert end.usage is not None and end.usage.completion_tokens == 7 and end.usage.prompt_tokens == 15
    with pytest.raises(UpstreamError, match="ended before"):
        reader.end()
    reader.read(_anthropic("message_stop", {}))
    reader.end()


def test_anthropic_reader_raises_upstream_errors_mapped() -> None:
    reader = AnthropicStream("anthropic")
    with pytest.raises(ServiceUnavailableError):
        reader.read(_anthropic("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}}))


def test_openai_reader_parses_only_usage_and_error_chunks() -> None:
    reader = OpenAIStream("openai")
    plain = reader.read(b'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n')
    assert plain.usage is None and plain.data is None
    usage = reader.read(b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n')
    assert usage.usage is not None and usage.usage.total_tokens == 5 and usage.data == json.loads(
        usage.raw.removeprefix(b"data: "))
    assert reader.read(b"data: [DONE]\n\n").name == "done" and reader.finished
    with pytest.raises(RateLimitError):
        reader.read(b'data: {"error":{"message":"slow down","code":"rate_limit_exceeded"}}\n\n')


def test_body_usage_per_format() -> None:
    anthropic = body_usage(ANTHROPIC_MESSAGES, {"usage": {"input_tokens": 4, "cache_creation_input_tokens": 2,
                                                          "output_tokens": 3}})
    assert anthropic is not None and anthropic.prompt_tokens == 6 and anthropic.cache_creation_tokens == 2
    chat = body_usage(OPENAI_CHAT, {"usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
    assert chat is not None and chat.total_tokens == 2
    assert body_usage(OPENAI_CHAT, {}) is None


def test_wire_request_reads_for_metering_come_from_the_body() -> None:
    body = {"model": "m", "max_tokens": 9, "system": "sys", "metadata": {"user_id": "u-7"},
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}]}], "tools": [{"name": "t"}]}
    wire = WireRequest(ANTHROPIC_MESSAGES, body)
    assert wire.output_limit == 9 and wire.user == "u-7" and wire.n is None and wire.metadata is None
    assert [turn.content for turn in wire.messages] == ["sys", [{"type": "text", "text": "hello"}]]
    assert wire.model_dump(mode="json", include={"messages", "tools"}) == {
        "messages": body["messages"], "tools": body["tools"], "system": "sys"}
    chat = WireRequest(OPENAI_CHAT, {"model": "m", "messages": [], "user": "u", "n": 2, "max_completion_tokens": 5,
                                     "max_tokens": 50, "metadata": {"tags": ["a"]}})
    assert chat.user == "u" and chat.n == 2 and chat.output_limit == 5 and chat.metadata == {"tags": ["a"]}
    with pytest.raises(TypeError):
        chat.canonical()


def test_a_stream_cut_short_is_charged_for_what_was_relayed() -> None:
    from tollway.passthrough.metering import cut_short
    from tollway.types.chat import Usage

    assert cut_short(None, 7, lambda: 20) == Usage(prompt_tokens=20, completion_tokens=7, total_tokens=27)
    reported = Usage(prompt_tokens=11, completion_tokens=1, total_tokens=12)  # Anthropic's message_start
    assert cut_short(reported, 5, lambda: 99).completion_tokens == 5
    final = Usage(prompt_tokens=11, completion_tokens=40, total_tokens=51)
    assert cut_short(final, 5, lambda: 99) is final
