"""The seam guardrails attach to (``gateway.hooks``): the request in the form each attempt sends, the answer
and every stream item, on the passthrough and the translated path alike."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.conftest import MASTER_KEY
from tollway.hooks import CallHooks
from tollway.passthrough.answers import NativeEvent, NativeResponse
from tollway.passthrough.wire import WireRequest
from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse


class Recorder(CallHooks):
    """Sees everything; rewrites the user's text before the call and the upstream's text after it."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def before_call(self, ctx: Any, request: Any) -> Any:
        self.seen.append(type(request).__name__)
        if isinstance(request, WireRequest):
            request.body["messages"][0]["content"] = "redacted"
        elif isinstance(request, ChatRequest):
            request.messages[0].content = "redacted"  # type: ignore[union-attr]
        return request

    async def after_call(self, ctx: Any, answer: Any) -> Any:
        self.seen.append(type(answer).__name__)
        if isinstance(answer, NativeResponse):
            answer.content = answer.content.replace(b"echo: redacted", b"echo: [checked]")
        return answer

    async def on_event(self, ctx: Any, item: Any) -> Any:
        self.seen.append(type(item).__name__)
        if isinstance(item, NativeEvent):
            item.raw = item.raw.replace(b"redacted", b"[checked]")
        return item


@pytest.fixture
def hooked(mixed_gateway: Any) -> tuple[anthropic.Anthropic, Recorder]:
    recorder = Recorder()
    mixed_gateway.app.state.gateway.hooks = recorder
    return anthropic.Anthropic(base_url=mixed_gateway.url, api_key=MASTER_KEY, max_retries=0), recorder


USER = [{"role": "user", "content": "my secret"}]


def test_passthrough_hooks_see_and_rewrite_the_raw_body_and_answer(hooked, claude_upstream) -> None:  # type: ignore[no-untyped-def]
    client, recorder = hooked
    message = client.messages.create(model="claude", max_tokens=20, messages=USER)
    assert claude_upstream.requests[0]["messages"][0]["content"] == "redacted"
    assert message.content[0].text == "echo: [checked]"
    assert recorder.seen == [WireRequest.__name__, NativeResponse.__name__]


def test_translated_hooks_see_the_canonical_request(hooked, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    client, recorder = hooked
    client.messages.create(model="gpt", max_tokens=20, messages=USER)
    assert openai_upstream.requests[0]["messages"][0]["content"] == "redacted"
    assert recorder.seen == [ChatRequest.__name__, ChatResponse.__name__]


def test_stream_hooks_see_every_item(hooked, claude_upstream, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    client, recorder = hooked
    with client.messages.stream(model="claude", max_tokens=20, messages=USER) as events:
        text = "".join(events.text_stream)
    assert text == "echo: [checked]"
    assert recorder.seen[0] == WireRequest.__name__ and set(recorder.seen[1:]) == {NativeEvent.__name__}
    recorder.seen.clear()
    with client.messages.stream(model="gpt", max_tokens=20, messages=USER) as events:
        events.get_final_message()
    assert recorder.seen[0] == ChatRequest.__name__ and set(recorder.seen[1:]) == {ChatChunk.__name__}


def test_a_passthrough_stream_failing_midway_ends_with_an_error_event(claude_client, claude_upstream) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.anthropic_upstream import Scripted

    claude_upstream.queue.append(Scripted(stream_error_after=4))
    with pytest.raises(anthropic.APIStatusError, match="Overloaded"), \
            claude_client.messages.stream(model="claude", max_tokens=20, messages=USER) as events:
        for _ in events:
            pass
