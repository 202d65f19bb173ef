"""The pipeline hooks on the passthrough path's dict formats: an Anthropic request and answer, a Responses
API stream; the charge settled after the decision (as a failure on a block), the upstream stream ended with
the violation so its charge settles for what was generated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tollway.api.context import RequestContext
from tollway.auth.context import AuthContext
from tollway.config.loader import parse_config
from tollway.guardrails import hooks
from tollway.guardrails.errors import GuardrailViolation
from tollway.views import anthropic, responses


class _Gateway:
    def __init__(self, *guardrails: dict[str, Any]) -> None:
        self.config = parse_config({"guardrails": list(guardrails)})
        self.identity = None


def _g(name: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"guardrail_name": name, "litellm_params": {"guardrail": kind, "default_on": True, **params}}


AUTH = AuthContext(kind="virtual_key", team_id="t")


def test_anthropic_dicts_masked_then_restored_and_settled_after() -> None:
    gateway: Any = _Gateway(_g("pii", "pii", output_parse_pii=True))
    request = {"model": "claude", "max_tokens": 10, "system": "sys", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "I am jo@example.com"}]}]}
    settled: list[dict[str, Any]] = []

    async def settle(**kwargs: Any) -> None:
        settled.append(kwargs)

    async def run() -> dict[str, Any]:
        ctx = RequestContext(request_id="r")
        guard = await hooks.pre_call(gateway, AUTH, ctx, request, anthropic.REQUEST)
        assert request["messages"][0]["content"][0]["text"] == "I am [EMAIL_1]"  # type: ignore[index]
        answer = {"type": "message", "content": [{"type": "text", "text": "Hello [EMAIL_1]!"}]}
        out = await guard.post_call(answer, anthropic.RESPONSE, settle=settle)
        assert ctx.extra["guardrails"] == [{"guardrail": "pii", "category": "EMAIL_ADDRESS", "action": "mask",
                                            "stage": "input"}]
        return out

    assert asyncio.run(run())["content"][0]["text"] == "Hello jo@example.com!"
    assert settled == [{}]


def test_a_blocked_answer_settles_as_a_failure() -> None:
    gateway: Any = _Gateway(_g("words", "keywords", mode="post_call", keywords=["classified"]))
    settled: list[dict[str, Any]] = []

    async def settle(**kwargs: Any) -> None:
        settled.append(kwargs)

    async def run() -> None:
        guard = await hooks.pre_call(gateway, AUTH, RequestContext(request_id="r"), {"messages": []},
                                     anthropic.REQUEST)
        await guard.post_call({"content": [{"type": "text", "text": "that is classified"}]}, anthropic.RESPONSE,
                              settle=settle)

    with pytest.raises(GuardrailViolation):
        asyncio.run(run())
    assert settled == [{"status": "failure", "error_type": "invalid_request_error"}]


def test_responses_stream_blocked_mid_way_ends_the_upstream_with_the_violation() -> None:
    gateway: Any = _Gateway(_g("pii", "pii", mode="post_call", action="block", stream_hold_back_chars=24))
    text = "The answer is long enough to stream a while before it says: mail jo@example.com today."
    seen: list[BaseException] = []

    async def upstream() -> AsyncIterator[dict[str, Any]]:
        try:
            yield {"type": "response.created", "response": {"output": []}}
            for i in range(0, len(text), 4):
                yield {"type": "response.output_text.delta", "output_index": 0, "delta": text[i:i + 4]}
            yield {"type": "response.output_text.done", "output_index": 0, "text": text}
        except BaseException as exc:
            seen.append(exc)
            raise

    async def run() -> str:
        guard = await hooks.pre_call(gateway, AUTH, RequestContext(request_id="r"), {"input": "hi"}, responses.REQUEST)
        sent = ""
        with pytest.raises(GuardrailViolation):
            async for event in guard.stream(upstream(), responses.EVENT):
                sent += event.get("delta", "")
        return sent

    sent = asyncio.run(run())
    assert 0 < len(sent) <= text.index("jo@") and "jo@" not in sent
    assert len(seen) == 1 and isinstance(seen[0], GuardrailViolation)


def test_no_output_guardrail_leaves_the_stream_untouched() -> None:
    gateway: Any = _Gateway(_g("pii", "pii"))  # pre_call masking only, no restore

    async def run() -> bool:
        guard = await hooks.pre_call(gateway, AUTH, RequestContext(request_id="r"), {"input": "hi"}, responses.REQUEST)

        async def upstream() -> AsyncIterator[int]:
            yield 1

        events = upstream()
        return guard.stream(events, responses.EVENT) is events

    assert asyncio.run(run())


def test_carry_gives_a_translation_of_the_checked_body_the_same_masks_cap_and_metadata() -> None:
    from tollway.types.chat import ChatRequest
    from tollway.views import canonical

    gateway: Any = _Gateway(_g("pii", "pii", entities=["EMAIL_ADDRESS"]),
                            _g("cap", "limits", max_output_tokens=20))
    body = {"model": "claude", "max_tokens": 100, "system": "user: jo@example.com",
            "metadata": {"user_id": "u", "guardrails": ["pii"]},
            "messages": [{"role": "user", "content": [{"type": "text", "text": "mail jo@example.com now"}]}]}
    # what a translation built from the body as received looks like
    translated = ChatRequest.model_validate({"model": "claude", "max_tokens": 100, "metadata": {"guardrails": ["pii"]},
                                             "messages": [{"role": "system", "content": "user: jo@example.com"},
                                                          {"role": "user", "content": [
                                                              {"type": "text", "text": "mail jo@example.com now"}]}]})

    async def run() -> None:
        guard = await hooks.pre_call(gateway, AUTH, RequestContext(request_id="r"), body, anthropic.REQUEST)
        assert body["max_tokens"] == 20 and body["system"] == "user: [EMAIL_1]"
        assert guard.carry(translated, canonical.CHAT_REQUEST) is translated
        guard.carry(translated, canonical.CHAT_REQUEST)  # a second call changes nothing more

    asyncio.run(run())
    dumped = translated.model_dump(exclude_none=True)
    assert dumped["messages"][0]["content"] == "user: [EMAIL_1]"
    assert dumped["messages"][1]["content"][0]["text"] == "mail [EMAIL_1] now"
    assert dumped["max_tokens"] == 20 and "metadata" not in dumped


def test_carry_without_guardrails_changes_nothing() -> None:
    from tollway.types.chat import ChatRequest
    from tollway.views import canonical

    request = ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "jo@example.com"}]})
    assert hooks.Guard().carry(request, canonical.CHAT_REQUEST).messages[0].content == "jo@example.com"


def test_a_native_stream_is_not_parsed_without_an_output_guardrail() -> None:
    from tollway.passthrough.answers import NativeEvent
    from tollway.passthrough.wire import ANTHROPIC_MESSAGES
    from tollway.views.native import NativeEventView

    gateway: Any = _Gateway(_g("pii", "pii", entities=["EMAIL_ADDRESS"]))  # pre_call only
    delta = b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta",' \
            b'"text":"jo@example.com"}}\n\n'

    async def events() -> AsyncIterator[NativeEvent]:
        yield NativeEvent(delta, "content_block_delta")

    async def run() -> list[NativeEvent]:
        body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        guard = await hooks.pre_call(gateway, AUTH, RequestContext(request_id="r"), body, anthropic.REQUEST)
        source = events()
        assert guard.stream(source, NativeEventView(ANTHROPIC_MESSAGES)) is source
        return [e async for e in source]

    (event,) = asyncio.run(run())
    assert event.data is None and event.raw == delta
