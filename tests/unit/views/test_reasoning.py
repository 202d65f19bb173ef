"""Reasoning text in every view: which parts each format's reasoning yields (channel ``Reasoning``, signed or
not), that redacted and encrypted reasoning yields none, and that ``replace`` rewrites exactly the one string.

Shapes as the official SDKs type them: openai-python's ``ResponseReasoningItem`` (``summary[]`` of
``summary_text``, ``content[]`` of ``reasoning_text``, ``encrypted_content``) and its reasoning stream events;
anthropic-sdk-python's ``ThinkingBlock`` (``thinking``, ``signature``), ``RedactedThinkingBlock`` (``data``),
``ThinkingDelta`` and ``SignatureDelta``.
"""

from __future__ import annotations

import copy
from typing import Any

from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
from tollway.views import anthropic, canonical, openai_chat, responses
from tollway.views.base import Reasoning, TextView


def _found(view: TextView, obj: Any) -> list[tuple[str, str, Any, str, bool]]:
    return [(p.label, p.text, p.channel, p.kind, p.signed) for p in view.parts(obj) if p.reasoning]


SIGNED = {"type": "thinking", "thinking": "weigh the options", "signature": "EqQBsig"}
REDACTED = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}


# ----------------------------------------------------------------------------- chat completions


def test_chat_response_reads_both_reasoning_fields() -> None:
    response = {"choices": [
        {"index": 0, "message": {"role": "assistant", "content": "a", "reasoning_content": "think"}},
        {"index": 1, "message": {"role": "assistant", "content": "b", "reasoning": "ponder"}}]}
    assert _found(openai_chat.RESPONSE, response) == [
        ("choices[0].message.reasoning_content", "think", (0, "reasoning_content"), "text", False),
        ("choices[1].message.reasoning", "ponder", (1, "reasoning"), "text", False)]
    part = next(p for p in openai_chat.RESPONSE.parts(response) if p.reasoning)
    openai_chat.RESPONSE.replace(response, part, "THINK")
    assert response["choices"][0]["message"] == {"role": "assistant", "content": "a", "reasoning_content": "THINK"}


def test_chat_thinking_blocks_are_signed_and_the_field_repeating_them_is_not_read_twice() -> None:
    message = {"role": "assistant", "content": "a", "reasoning_content": "weigh the options",
               "thinking_blocks": [SIGNED, REDACTED]}
    assert _found(openai_chat.RESPONSE, {"choices": [{"index": 0, "message": message}]}) == [
        ("choices[0].message.thinking_blocks[0].thinking", "weigh the options", (0, "thinking_blocks"), "text", True)]
    different = {**message, "reasoning_content": "something else"}
    assert [p[4] for p in _found(openai_chat.RESPONSE, {"choices": [{"message": different}]})] == [True, True]


def test_chat_chunk_streams_each_reasoning_field_on_its_own_channel() -> None:
    chunk = {"choices": [{"index": 2, "delta": {"reasoning_content": "a", "reasoning": "a", "content": "x"}}]}
    assert _found(openai_chat.CHUNK, chunk) == [
        ("choices[0].delta.reasoning_content", "a", Reasoning(2, "reasoning_content"), "delta", False),
        ("choices[0].delta.reasoning", "a", Reasoning(2, "reasoning"), "delta", False)]
    assert [p.channel for p in openai_chat.CHUNK.parts(chunk) if not p.reasoning] == [2]


def test_chat_request_reads_the_assistants_reasoning_only() -> None:
    body = {"messages": [{"role": "user", "content": "q", "reasoning_content": "not a field of user turns"},
                         {"role": "assistant", "content": "a", "reasoning_content": "earlier thought"}]}
    assert _found(openai_chat.REQUEST, body) == [
        ("messages[1].reasoning_content", "earlier thought", (0, "reasoning_content"), "text", False)]


def test_canonical_models_read_and_rewrite_reasoning_like_their_dicts() -> None:
    body = {"model": "m", "messages": [{"role": "assistant", "content": "a", "reasoning_content": "r1",
                                        "thinking_blocks": [{**SIGNED, "thinking": "r1"}]},
                                       {"role": "assistant", "content": "b", "reasoning_content": "r2"}]}
    request = ChatRequest.model_validate(body)
    assert _found(canonical.CHAT_REQUEST, request) == _found(openai_chat.REQUEST, body)
    response = ChatResponse.model_validate({"id": "r", "created": 1, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok", "reasoning_content": "hmm",
                                 "reasoning": "other server"}}]})
    for part in [p for p in canonical.CHAT_RESPONSE.parts(response) if p.reasoning]:
        canonical.CHAT_RESPONSE.replace(response, part, part.text.upper())
    dumped = response.model_dump()["choices"][0]["message"]
    assert dumped["reasoning_content"] == "HMM" and dumped["reasoning"] == "OTHER SERVER"
    chunk = ChatChunk.model_validate({"id": "c", "created": 1, "model": "m",
                                      "choices": [{"index": 0, "delta": {"reasoning_content": "step"}}]})
    (part,) = canonical.CHAT_CHUNK.parts(chunk)
    assert part.channel == Reasoning(0, "reasoning_content") and part.kind == "delta"
    canonical.CHAT_CHUNK.replace(chunk, part, "STEP")
    assert chunk.choices[0].delta.reasoning_content == "STEP"


# ----------------------------------------------------------------------------- anthropic messages


def test_messages_thinking_is_signed_in_requests_responses_and_events() -> None:
    body = {"messages": [{"role": "user", "content": "q"},
                         {"role": "assistant", "content": [SIGNED, REDACTED, {"type": "text", "text": "a"}]}]}
    assert _found(anthropic.REQUEST, body) == [
        ("messages[1].content[0].thinking", "weigh the options", (0, "thinking"), "text", True)]
    message = {"content": [SIGNED, REDACTED, {"type": "text", "text": "a"}]}
    assert _found(anthropic.RESPONSE, message) == [
        ("content[0].thinking", "weigh the options", (0, "thinking"), "text", True)]
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hm"}}
    assert _found(anthropic.EVENT, delta) == [("delta.thinking", "hm", (0, "thinking"), "delta", True)]
    signature = {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "s"}}
    start = {"type": "content_block_start", "index": 0,
             "content_block": {"type": "thinking", "thinking": "", "signature": ""}}
    redacted = {"type": "content_block_start", "index": 1, "content_block": REDACTED}
    assert [list(anthropic.EVENT.parts(e)) for e in (signature, start, redacted)] == [[], [], []]


# ----------------------------------------------------------------------------- the Responses API

ITEM = {"id": "rs_1", "type": "reasoning", "encrypted_content": "gAAAAB-opaque",
        "summary": [{"type": "summary_text", "text": "first"}, {"type": "summary_text", "text": "second"}],
        "content": [{"type": "reasoning_text", "text": "raw thought"}]}


def test_responses_reasoning_items_in_input_and_output() -> None:
    body = {"input": [{"role": "user", "content": "q"}, copy.deepcopy(ITEM),
                      {"type": "reasoning", "summary": [], "encrypted_content": "only opaque"}]}
    assert _found(responses.REQUEST, body) == [
        ("input[1].summary[0].text", "first", (0, "summary"), "text", False),
        ("input[1].summary[1].text", "second", (0, "summary"), "text", False),
        ("input[1].content[0].text", "raw thought", (0, "content"), "text", False)]
    for part in list(responses.REQUEST.parts(body)):
        responses.REQUEST.replace(body, part, part.text.upper())
    assert body["input"][1]["summary"][1] == {"type": "summary_text", "text": "SECOND"}
    assert body["input"][1]["encrypted_content"] == "gAAAAB-opaque"
    output = {"output": [{"type": "message", "content": [{"type": "output_text", "text": "a"}]}, ITEM]}
    assert [p[0] for p in _found(responses.RESPONSE, output)] == [
        "output[1].summary[0].text", "output[1].summary[1].text", "output[1].content[0].text"]
    assert {p.channel for p in responses.RESPONSE.parts(output) if p.reasoning} == {(1, "summary"), (1, "content")}


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "item_id": "rs_1", "output_index": 1, "sequence_number": 4, **fields}


def test_responses_reasoning_stream_events() -> None:
    cases = [
        (_event("response.reasoning_summary_text.delta", summary_index=0, delta="fir"),
         ("delta", "fir", (1, "summary"), "delta", False)),
        (_event("response.reasoning_text.delta", content_index=0, delta="raw"),
         ("delta", "raw", (1, "content"), "delta", False)),
        (_event("response.reasoning_summary_text.done", summary_index=0, text="first"),
         ("text", "first", (1, "summary"), "snapshot", False)),
        (_event("response.reasoning_text.done", content_index=0, text="raw thought"),
         ("text", "raw thought", (1, "content"), "snapshot", False)),
        (_event("response.reasoning_summary_part.done", summary_index=0, part={"type": "summary_text", "text": "x"}),
         ("part.text", "x", (1, "summary"), "snapshot", False)),
        (_event("response.content_part.done", content_index=0, part={"type": "reasoning_text", "text": "y"}),
         ("part.text", "y", (1, "content"), "snapshot", False)),
    ]
    for event, expected in cases:
        assert _found(responses.EVENT, event) == [expected], event["type"]
    added = _event("response.reasoning_summary_part.added", summary_index=0, part={"type": "summary_text", "text": ""})
    assert list(responses.EVENT.parts(added)) == []
    done = {"type": "response.output_item.done", "output_index": 1, "item": ITEM}
    assert [(p[0], p[3]) for p in _found(responses.EVENT, done)] == [
        ("item.summary[0].text", "snapshot"), ("item.summary[1].text", "snapshot"),
        ("item.content[0].text", "snapshot")]
    completed = {"type": "response.completed", "response": {"output": [ITEM]}}
    assert len(_found(responses.EVENT, completed)) == 3
    text_part = _event("response.content_part.done", content_index=0, part={"type": "output_text", "text": "z"})
    assert [(p.channel, p.reasoning) for p in responses.EVENT.parts(text_part)] == [(1, False)]
