"""Anthropic stream events -> OpenAI chunks (pure translation, no I/O)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tollway.errors import RateLimitError, UpstreamError
from tollway.providers.anthropic.stream import StreamTranslator


def _feed(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    translator = StreamTranslator("fallback-model")
    out = []
    for name, data in events:
        out.extend(c.model_dump(exclude_none=True) for c in translator.feed(name, {"type": name, **data}))
    return out


START = ("message_start", {"message": {"id": "msg_9", "model": "claude-x", "usage": {
    "input_tokens": 7, "output_tokens": 1, "cache_read_input_tokens": 50, "cache_creation_input_tokens": 0}}})


def test_text_thinking_and_tool_calls_golden() -> None:
    chunks = _feed([
        START,
        ("ping", {}),
        ("content_block_start", {"index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
        ("content_block_delta", {"index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
        ("content_block_delta", {"index": 0, "delta": {"type": "signature_delta", "signature": "s"}}),
        ("content_block_stop", {"index": 0}),
        ("content_block_start", {"index": 1, "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"index": 1, "delta": {"type": "text_delta", "text": "Hi"}}),
        ("content_block_start", {"index": 2, "content_block": {"type": "tool_use", "id": "t1", "name": "f",
                                                               "input": {}}}),
        ("content_block_delta", {"index": 2, "delta": {"type": "input_json_delta", "partial_json": '{"a":'}}),
        ("content_block_delta", {"index": 2, "delta": {"type": "input_json_delta", "partial_json": "1}"}}),
        ("content_block_start", {"index": 3, "content_block": {"type": "tool_use", "id": "t2", "name": "g",
                                                               "input": {}}}),
        ("content_block_delta", {"index": 3, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
        ("message_delta", {"delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 42}}),
        ("message_stop", {}),
    ])
    assert all(c["id"] == "msg_9" and c["model"] == "claude-x" for c in chunks)
    deltas = [(c["choices"][0]["delta"], c["choices"][0].get("finish_reason")) if c["choices"] else c["usage"]
              for c in chunks]
    assert deltas == [
        ({"role": "assistant", "content": ""}, None),
        ({"reasoning_content": "hmm"}, None),
        ({"content": "Hi"}, None),
        ({"tool_calls": [{"index": 0, "id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}}]},
         None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}, None),
        ({"tool_calls": [{"index": 1, "id": "t2", "type": "function", "function": {"name": "g", "arguments": ""}}]},
         None),
        ({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}, None),
        ({}, "tool_calls"),
        {"prompt_tokens": 57, "completion_tokens": 42, "total_tokens": 99,
         "prompt_tokens_details": {"cached_tokens": 50, "cache_creation_tokens": 0},
         "completion_tokens_details": {"reasoning_tokens": 0}},
    ]


def test_error_event_raises_the_mapped_error() -> None:
    translator = StreamTranslator("m")
    translator.feed("message_start", START[1])
    with pytest.raises(RateLimitError):
        translator.feed("error", {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}})


def test_a_stream_cut_before_message_stop_is_an_upstream_error() -> None:
    translator = StreamTranslator("m")
    translator.feed("message_start", START[1])
    with pytest.raises(UpstreamError):
        translator.end()


def test_fake_upstream_events_round_trip_through_the_translator() -> None:
    from tests.fakes.anthropic_upstream import reply, stream_events

    message = reply({"model": "claude-x", "messages": [{"role": "user", "content": "a b"}]})
    translator = StreamTranslator("m")
    text = ""
    for raw in stream_events(message):
        name = raw.split("\n")[0].removeprefix("event: ")
        data = json.loads(raw.split("\n")[1].removeprefix("data: "))
        for chunk in translator.feed(name, data):
            text += "".join(c.delta.content or "" for c in chunk.choices)
    assert text == "echo: a b" and translator.finished
