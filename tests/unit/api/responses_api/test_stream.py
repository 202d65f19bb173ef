"""Canonical chunks -> typed Responses events: every event parses as the openai SDK's own type."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from tollway.api.context import RequestContext
from tollway.api.responses_api.models import ResponsesRequest
from tollway.api.responses_api.stream import ResponseEvents, response_events
from tollway.api.responses_api.translate import skeleton
from tollway.errors import UpstreamError
from tollway.types.chat import ChatChunk

EVENTS: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)


def _chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> ChatChunk:
    choices = [{"index": 0, "delta": delta, "finish_reason": finish}] if delta or finish else []
    return ChatChunk.model_validate({"id": "c", "created": 1, "model": "m", "choices": choices, "usage": usage})


async def _run(chunks: list[ChatChunk], fail: Exception | None = None) -> tuple[list[dict], list[dict]]:
    async def source() -> AsyncIterator[ChatChunk]:
        for chunk in chunks:
            yield chunk
        if fail is not None:
            raise fail

    stored: list[dict] = []

    async def on_done(response: dict) -> None:
        stored.append(json.loads(json.dumps(response)))

    body = ResponsesRequest.model_validate({"model": "m", "input": "x"})
    events = ResponseEvents(skeleton(body, "resp_1"))
    raw = [e async for e in response_events(source(), events, RequestContext(request_id="r"), on_done)]
    parsed = []
    for frame in raw:
        name, data = frame.decode().strip().split("\n")
        payload = json.loads(data.removeprefix("data: "))
        assert name == f"event: {payload['type']}"
        EVENTS.validate_python(payload)
        parsed.append(payload)
    return parsed, stored


async def test_reasoning_text_and_two_tool_calls() -> None:
    chunks = [
        _chunk({"role": "assistant", "reasoning_content": "let me "}), _chunk({"reasoning_content": "think"}),
        _chunk({"content": "Calling."}),
        _chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                "function": {"name": "f", "arguments": "{\"a\""}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}),
        _chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                                "function": {"name": "g", "arguments": "{}"}}]}),
        _chunk({}, "tool_calls"),
        _chunk({}, usage={"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}),
    ]
    events, stored = await _run(chunks)
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert "response.reasoning_summary_text.delta" in kinds
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [i["type"] for i in done] == ["reasoning", "message", "function_call", "function_call"]
    assert done[0]["summary"][0]["text"] == "let me think"
    assert (done[2]["call_id"], done[2]["arguments"]) == ("call_a", "{\"a\":1}")
    final = events[-1]["response"]
    assert final["status"] == "completed" and final["usage"]["output_tokens"] == 7
    assert [o["output_index"] for o in events if o["type"] == "response.output_item.added"] == [0, 1, 2, 3]
    assert stored == [final]


async def test_failure_after_first_byte_is_response_failed_and_nothing_stored() -> None:
    events, stored = await _run([_chunk({"content": "par"})], fail=UpstreamError("upstream went away"))
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"] == {"code": "server_error", "message": "upstream went away"}
    assert events[-2]["type"] == "response.output_item.done"  # the partial message is closed, not dropped
    assert stored == []


@pytest.mark.parametrize(("finish", "status"), [("length", "incomplete"), ("stop", "completed")])
async def test_terminal_event_follows_the_finish_reason(finish: str, status: str) -> None:
    events, _ = await _run([_chunk({"content": "a"}), _chunk({}, finish)])
    assert events[-1]["type"] == f"response.{status}" and events[-1]["response"]["status"] == status
