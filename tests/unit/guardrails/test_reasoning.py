"""Guardrails on reasoning text: checked like the answer, whole and streamed (on a channel of its own, so a
match split across reasoning deltas is caught and never sent), masked and restored where the format allows,
and never rewritten where a signature covers it (Anthropic thinking): there a mask is recorded as ``log``
and a block still blocks."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from tests.unit.guardrails.support import guard, session
from tollway.guardrails import engine
from tollway.guardrails.base import Session
from tollway.guardrails.errors import GuardrailViolation
from tollway.guardrails.stream import StreamGuard
from tollway.views import anthropic, openai_chat, responses

EMAIL = "renewals.desk@example.com"
THOUGHT = f"The user wants the contact. Their file says {EMAIL} so I could share it, but I should check first."


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _decisions(s: Session) -> list[tuple[str, str]]:
    return [(d["category"], d["action"]) for d in s.ctx.extra.get("guardrails", [])]


async def _stream(stream: StreamGuard, events: list[Any]) -> tuple[list[Any], Exception | None]:
    out: list[Any] = []
    try:
        for event in events:
            out += await stream.push(event)
        out += await stream.finish()
    except GuardrailViolation as exc:
        return out, exc
    return out, None


def _chat_chunks(field: str, text: str, size: int) -> list[dict[str, Any]]:
    events = [{"choices": [{"index": 0, "delta": {field: piece}}]} for piece in _pieces(text, size)]
    events.append({"choices": [{"index": 0, "delta": {"content": "Here you go."}}]})
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return events


def _sent(events: list[Any], field: str) -> str:
    return "".join(c["delta"].get(field) or "" for e in events for c in e["choices"])


# ----------------------------------------------------------------------------- streams


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
@pytest.mark.parametrize("size", [1, 3, 7, 20])
def test_a_match_in_streamed_reasoning_blocks_before_any_of_it_is_sent(field: str, size: int) -> None:
    blocker = guard("pii", mode="post_call", action="block", entities=["EMAIL_ADDRESS"], stream_hold_back_chars=32)
    out, error = asyncio.run(_stream(StreamGuard([blocker], openai_chat.CHUNK, session()),
                                     _chat_chunks(field, THOUGHT, size)))
    assert isinstance(error, GuardrailViolation) and error.category == "EMAIL_ADDRESS"
    sent = _sent(out, field)
    assert THOUGHT.startswith(sent) and "renewals" not in sent and _sent(out, "content") == ""


@pytest.mark.parametrize("size", [1, 4, 9])
def test_streamed_reasoning_is_masked_and_the_requests_placeholders_restored(size: int) -> None:
    s = session()
    s.originals["[PHONE_1]"] = "415-555-0100"
    masker = guard("pii", mode=["pre_call", "post_call"], action="mask", entities=["EMAIL_ADDRESS", "PHONE_NUMBER"],
                   output_parse_pii=True, stream_hold_back_chars=32)
    text = THOUGHT + " They also gave [PHONE_1] earlier."
    out, error = asyncio.run(_stream(StreamGuard([masker], openai_chat.CHUNK, s),
                                     _chat_chunks("reasoning_content", text, size)))
    assert error is None
    assert _sent(out, "reasoning_content") == text.replace(EMAIL, "[EMAIL_1]").replace("[PHONE_1]", "415-555-0100")
    assert ("EMAIL_ADDRESS", "mask") in _decisions(s)


def _thinking_events(text: str, size: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "thinking", "thinking": "", "signature": ""}}]
    events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": piece}}
               for piece in _pieces(text, size)]
    events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig"}},
               {"type": "content_block_stop", "index": 0},
               {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
               {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": f"Ask {EMAIL}."}},
               {"type": "content_block_stop", "index": 1}, {"type": "message_stop"}]
    return events


def _thinking_sent(events: list[Any]) -> str:
    return "".join(e["delta"].get("thinking", "") for e in events if e["type"] == "content_block_delta")


@pytest.mark.parametrize("size", [2, 11])
def test_streamed_thinking_is_never_rewritten_a_mask_is_only_logged(size: int) -> None:
    s = session()
    s.originals["[EMAIL_9]"] = "someone@example.com"
    masker = guard("pii", mode="post_call", action="mask", entities=["EMAIL_ADDRESS"], output_parse_pii=True,
                   stream_hold_back_chars=48)
    text = THOUGHT + " Not [EMAIL_9] though."
    events = _thinking_events(text, size)
    out, error = asyncio.run(_stream(StreamGuard([masker], anthropic.EVENT, s), copy.deepcopy(events)))
    thinking = 1 + len(_pieces(text, size)) + 2  # start, deltas, signature, stop
    assert error is None and len(out) == len(events)
    assert out[:thinking] == events[:thinking], "the signed block leaves exactly as it came"
    answer = next(e for e in out if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta")
    assert answer["delta"]["text"] == "Ask [EMAIL_1]."
    assert _decisions(s) == [("EMAIL_ADDRESS", "log"), ("EMAIL_ADDRESS", "mask")]


def test_streamed_thinking_still_blocks() -> None:
    blocker = guard("keywords", mode="post_call", keywords=["share it"], stream_hold_back_chars=16)
    out, error = asyncio.run(_stream(StreamGuard([blocker], anthropic.EVENT, session()), _thinking_events(THOUGHT, 3)))
    assert isinstance(error, GuardrailViolation) and error.category == "keyword"
    assert "share" not in _thinking_sent(out) and THOUGHT.startswith(_thinking_sent(out))


def test_responses_reasoning_summary_deltas_and_their_snapshots_are_masked_alike() -> None:
    masker = guard("pii", mode="post_call", action="mask", entities=["EMAIL_ADDRESS"], stream_hold_back_chars=48)
    where = {"item_id": "rs_1", "output_index": 0, "summary_index": 0}
    events: list[dict[str, Any]] = [{"type": "response.reasoning_summary_text.delta", **where, "delta": piece}
                                    for piece in _pieces(THOUGHT, 5)]
    events += [{"type": "response.reasoning_summary_text.done", **where, "text": THOUGHT},
               {"type": "response.output_item.done", "output_index": 0, "item": {
                   "id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": THOUGHT}]}}]
    out, error = asyncio.run(_stream(StreamGuard([masker], responses.EVENT, session()), events))
    masked = THOUGHT.replace(EMAIL, "[EMAIL_1]")
    assert error is None
    assert "".join(e["delta"] for e in out if e["type"].endswith(".delta")) == masked
    assert out[-2]["text"] == masked and out[-1]["item"]["summary"][0]["text"] == masked


def test_the_response_character_limit_leaves_reasoning_out() -> None:
    limit = guard("limits", mode="post_call", max_response_chars=40)
    events = _chat_chunks("reasoning_content", THOUGHT * 3, 10)
    out, error = asyncio.run(_stream(StreamGuard([limit], openai_chat.CHUNK, session()), events))
    assert error is None and _sent(out, "reasoning_content") == THOUGHT * 3
    response = {"choices": [{"index": 0, "message": {"content": "short", "reasoning_content": THOUGHT * 3}}]}
    asyncio.run(engine.check([limit], engine.subject("output", response, openai_chat.RESPONSE), session()))
    response["choices"][0]["message"]["content"] = "x" * 41
    with pytest.raises(GuardrailViolation):
        asyncio.run(engine.check([limit], engine.subject("output", response, openai_chat.RESPONSE), session()))


# ----------------------------------------------------------------------------- whole answers and requests


def test_whole_answer_reasoning_is_blocked_and_masked() -> None:
    blocker = guard("keywords", mode="post_call", keywords=["share it"])
    response = {"choices": [{"index": 0, "message": {"content": "Here you go.", "reasoning_content": THOUGHT}}]}
    with pytest.raises(GuardrailViolation):
        asyncio.run(engine.check([blocker], engine.subject("output", response, openai_chat.RESPONSE), session()))
    masker = guard("pii", mode="post_call", action="mask", entities=["EMAIL_ADDRESS"])
    asyncio.run(engine.check([masker], engine.subject("output", response, openai_chat.RESPONSE), session()))
    assert response["choices"][0]["message"]["reasoning_content"] == THOUGHT.replace(EMAIL, "[EMAIL_1]")


def test_a_signed_thinking_block_is_checked_but_never_rewritten() -> None:
    s = session()
    s.originals["[EMAIL_9]"] = "someone@example.com"
    masker = guard("pii", mode=["pre_call", "post_call"], action="mask", entities=["EMAIL_ADDRESS"],
                   output_parse_pii=True)
    thinking = {"type": "thinking", "thinking": THOUGHT + " Not [EMAIL_9].", "signature": "EqQBsig"}
    message = {"content": [copy.deepcopy(thinking), {"type": "text", "text": f"Ask {EMAIL} or [EMAIL_9]."}]}
    subject = engine.subject("output", message, anthropic.RESPONSE)
    asyncio.run(engine.check([masker], subject, s))
    engine.restore(subject, s)
    assert message["content"][0] == thinking
    assert message["content"][1]["text"] == "Ask [EMAIL_1] or someone@example.com."
    assert sorted(_decisions(s)) == [("EMAIL_ADDRESS", "log"), ("EMAIL_ADDRESS", "mask")]
    blocker = guard("keywords", mode="post_call", keywords=["share it"])
    with pytest.raises(GuardrailViolation):
        asyncio.run(engine.check([blocker], engine.subject("output", message, anthropic.RESPONSE), session()))


def test_reasoning_sent_back_is_input() -> None:
    masker = guard("pii", action="mask", entities=["EMAIL_ADDRESS"])
    body = {"input": [{"role": "user", "content": "who?"},
                      {"type": "reasoning", "id": "rs_1", "encrypted_content": "opaque",
                       "summary": [{"type": "summary_text", "text": THOUGHT}]}]}
    asyncio.run(engine.check([masker], engine.subject("input", body, responses.REQUEST), session()))
    assert body["input"][1]["summary"][0]["text"] == THOUGHT.replace(EMAIL, "[EMAIL_1]")
    assert body["input"][1]["encrypted_content"] == "opaque"
    thinking = {"type": "thinking", "thinking": THOUGHT, "signature": "EqQBsig"}
    turn = {"role": "assistant", "content": [copy.deepcopy(thinking), {"type": "text", "text": "ok"}]}
    messages = {"messages": [{"role": "user", "content": "who?"}, turn, {"role": "user", "content": f"and {EMAIL}?"}]}
    s = session()
    asyncio.run(engine.check([masker], engine.subject("input", messages, anthropic.REQUEST), s))
    assert messages["messages"][1]["content"][0] == thinking and messages["messages"][2]["content"] == "and [EMAIL_1]?"
    assert ("EMAIL_ADDRESS", "log") in _decisions(s)
    blocker = guard("keywords", keywords=["share it"])
    for obj, view in ((body, responses.REQUEST), (messages, anthropic.REQUEST)):
        with pytest.raises(GuardrailViolation):
            asyncio.run(engine.check([blocker], engine.subject("input", obj, view), session()))
