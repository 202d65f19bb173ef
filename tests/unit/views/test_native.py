"""Views over the passthrough objects: a ``NativeResponse`` re-serialised after a rewrite, a ``NativeEvent``
parsed only when read and re-framed (event name kept) after a rewrite, text-free events left alone."""

from __future__ import annotations

import json

from tollway.passthrough.answers import NativeEvent, NativeResponse
from tollway.passthrough.wire import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES
from tollway.views.native import NativeEventView, NativeResponseView, request_view


def test_request_view_reads_the_body_in_its_format() -> None:
    body = {"model": "m", "system": "sys", "messages": [{"role": "user", "content": "hi"}]}
    assert [p.text for p in request_view(ANTHROPIC_MESSAGES).parts(body)] == ["sys", "hi"]
    assert [p.text for p in request_view(OPENAI_RESPONSES).parts({"input": "yo", "instructions": "be"})] == [
        "be", "yo"]


def test_response_rewrite_reserialises_content() -> None:
    data = {"id": "msg", "content": [{"type": "text", "text": "Hello [EMAIL_1]"}], "usage": {"output_tokens": 2}}
    answer = NativeResponse(ANTHROPIC_MESSAGES, b'{"id":"msg"}', data, None)
    view = NativeResponseView(ANTHROPIC_MESSAGES)
    (part,) = view.parts(answer)
    view.replace(answer, part, "Hello jo@example.com")
    assert json.loads(answer.content) == {**data, "content": [{"type": "text", "text": "Hello jo@example.com"}]}


def test_event_is_parsed_on_read_and_reframed_with_its_name() -> None:
    payload = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "[EMAIL_1] ok"}}
    event = NativeEvent(f"event: content_block_delta\ndata: {json.dumps(payload)}\n\n".encode(), "content_block_delta")
    view = NativeEventView(ANTHROPIC_MESSAGES)
    assert event.data is None
    (part,) = view.parts(event)
    assert event.data == payload
    view.replace(event, part, "jo@example.com ok")
    assert event.raw.startswith(b"event: content_block_delta\ndata: {") and event.raw.endswith(b"\n\n")
    assert json.loads(event.raw.split(b"data: ", 1)[1])["delta"]["text"] == "jo@example.com ok"


def test_openai_chunk_reframed_without_an_event_line_and_done_has_no_text() -> None:
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"content": "hi [EMAIL_1]"}}]}
    event = NativeEvent(f"data: {json.dumps(chunk)}\n\n".encode())
    view = NativeEventView(OPENAI_CHAT)
    (part,) = view.parts(event)
    view.replace(event, part, "hi jo@example.com")
    assert event.raw.startswith(b"data: {") and b"event:" not in event.raw
    assert json.loads(event.raw[len(b"data: "):])["choices"][0]["delta"]["content"] == "hi jo@example.com"
    done = NativeEvent(b"data: [DONE]\n\n", "done")
    assert list(view.parts(done)) == [] and done.data is None and done.raw == b"data: [DONE]\n\n"
