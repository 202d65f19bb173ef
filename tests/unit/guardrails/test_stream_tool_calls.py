"""Streamed tool-call arguments through the sliding window: raw JSON pieces on a channel of their own, so a
value split across pieces is caught, masked with the arguments still valid JSON once joined, a request's
placeholder is put back JSON-escaped, and a block stops the stream before the value is sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.unit.guardrails.support import guard, session
from tollway.guardrails.errors import GuardrailViolation
from tollway.guardrails.stream import StreamGuard
from tollway.views import anthropic, openai_chat

ARGS = json.dumps({"query": "Find the renewal contact", "to": "renewals.desk@example.com",
                   "note": "line one\nline two, then write to renewals.desk@example.com"})


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _chunk(piece: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}}]}


async def _openai(stream: StreamGuard, pieces: list[str]) -> tuple[str, str]:
    text, args = "", ""
    events = [{"choices": [{"index": 0, "delta": {"content": "Calling the tool. "}}]}]
    events += [_chunk(piece) for piece in pieces]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    out: list[dict[str, Any]] = []
    for event in events:
        out += await stream.push(event)
    out += await stream.finish()
    for event in out:
        delta = event["choices"][0]["delta"]
        text += delta.get("content") or ""
        args += "".join(c["function"]["arguments"] for c in delta.get("tool_calls") or [])
    return text, args


@pytest.mark.parametrize("size", [1, 3, 7, 20])
def test_streamed_arguments_are_masked_and_stay_valid_json(size: int) -> None:
    masker = guard("pii", mode="post_call", entities=["EMAIL_ADDRESS"])
    text, args = asyncio.run(_openai(StreamGuard([masker], openai_chat.CHUNK, session()), _pieces(ARGS, size)))
    data = json.loads(args)
    assert data["to"] == "[EMAIL_1]" and data["note"] == "line one\nline two, then write to [EMAIL_1]"
    assert text == "Calling the tool. "


@pytest.mark.parametrize("size", [1, 4, 11])
def test_a_value_after_an_escape_is_still_found(size: int) -> None:
    """``\\n`` right before a value: the detector reads the escape as blanks, not as the letter ``n``."""
    masker = guard("keywords", mode="post_call", action="mask", keywords=["project falcon"])
    raw = json.dumps({"note": "status:\nproject falcon ships"})
    _, args = asyncio.run(_openai(StreamGuard([masker], openai_chat.CHUNK, session()), _pieces(raw, size)))
    assert json.loads(args) == {"note": "status:\n[KEYWORD_1] ships"}


@pytest.mark.parametrize("size", [2, 5])
def test_a_block_in_streamed_arguments_stops_before_the_value(size: int) -> None:
    blocker = guard("pii", mode="post_call", action="block", entities=["EMAIL_ADDRESS"])
    stream = StreamGuard([blocker], openai_chat.CHUNK, session())
    sent = ""

    async def run() -> None:
        nonlocal sent
        for piece in _pieces(ARGS, size):
            for event in await stream.push(_chunk(piece)):
                sent += event["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]

    with pytest.raises(GuardrailViolation) as caught:
        asyncio.run(run())
    assert caught.value.category == "EMAIL_ADDRESS" and "renewals.desk" not in sent


def test_placeholders_are_restored_json_escaped_in_anthropic_input_json() -> None:
    restorer = guard("pii", entities=["EMAIL_ADDRESS"], output_parse_pii=True)
    shared = session()
    shared.placeholder("EMAIL", 'odd"name\\@example.com')  # made on the input: put back in the answer
    stream = StreamGuard([restorer], anthropic.EVENT, shared)
    raw = json.dumps({"to": "[EMAIL_1]", "cc": "[EMAIL_1] and [EMAIL_1]"})
    events = [{"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t",
                                                                          "name": "send", "input": {}}}]
    events += [{"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": p}}
               for p in _pieces(raw, 3)]
    events.append({"type": "content_block_stop", "index": 1})

    async def run() -> str:
        out: list[dict[str, Any]] = []
        for event in events:
            out += await stream.push(event)
        out += await stream.finish()
        return "".join(e["delta"]["partial_json"] for e in out if e["type"] == "content_block_delta")

    assert json.loads(asyncio.run(run())) == {"to": 'odd"name\\@example.com',
                                              "cc": 'odd"name\\@example.com and odd"name\\@example.com'}


@pytest.mark.parametrize("size", [2, 5])
def test_a_mask_that_would_cut_the_json_is_recorded_not_applied(size: int) -> None:
    """A custom pattern matching across a quote: applying it would break the arguments, so they pass as
    generated (the decision is still recorded)."""
    masker = guard("regex", mode="post_call", action="mask", patterns=[r"xa.{0,12}bz"])
    shared = session()
    raw = json.dumps({"k": "xa", "y": "bz", "n": "a long enough tail to release everything held"})
    _, args = asyncio.run(_openai(StreamGuard([masker], openai_chat.CHUNK, shared), _pieces(raw, size)))
    assert args == raw
    assert [d["action"] for d in shared.ctx.extra["guardrails"]] == ["mask"]
