"""Guardrails on the model's reasoning, through the official SDKs, on every door and both paths: chat
``reasoning_content``/``reasoning``, Anthropic thinking blocks and Responses ``reasoning`` items are checked
like the answer (a keyword there blocks a whole answer with a 400 and ends a stream with the client's error
event, none of it sent), masked where the format allows, and a signed thinking block is never rewritten,
in answers and in the history a client sends back.

``gpt`` is an OpenAI deployment (chat and Responses pass through, Messages is translated), ``claude`` an
Anthropic one (Messages passes through, chat and Responses are translated)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import SIGNATURE
from tests.fakes.openai_upstream import Scripted, response_object
from tests.integration.guardrails.conftest import SECRET_EMAIL, guardrail

THOUGHT = "The user asks about Project Falcon, which is internal, so I will decline politely."
ANSWER = "Sorry, I cannot discuss that."
FALCON = ["falcon-out"]
MASK = ["pii-out"]


@pytest.fixture
def gateway(start_gateway: Any, openai_upstream: Any, claude_upstream: Any) -> Any:
    return start_gateway({
        "model_list": [
            {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5",
                                                        "api_base": claude_upstream.url, "api_key": "sk-ant-up"}},
            {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_base": openai_upstream.base_url,
                                                     "api_key": "sk-up"}},
        ],
        "router_settings": {"num_retries": 0},
        "guardrails": [
            guardrail("falcon-out", "keywords", mode="post_call", keywords=["project falcon"]),
            guardrail("falcon-in", "keywords", mode="pre_call", keywords=["project falcon"]),
            guardrail("pii-out", "pii", mode="post_call", action="mask", entities=["EMAIL_ADDRESS"],
                      stream_hold_back_chars=48),
            guardrail("pii-in", "pii", action="mask", entities=["EMAIL_ADDRESS"]),
        ],
    })


@pytest.fixture
def chat(gateway: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


@pytest.fixture
def claude(gateway: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)


def completion(thought: str, field: str = "reasoning_content", text: str = ANSWER) -> dict[str, Any]:
    """An OpenAI-compatible reasoning server's answer (DeepSeek and vLLM say ``reasoning_content``)."""
    return {"id": "chatcmpl-r1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text, field: thought}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 30, "total_tokens": 39}, "system_fingerprint": "fp_r"}


def message(thought: str, text: str = ANSWER) -> dict[str, Any]:
    """Claude's answer with extended thinking: a signed thinking block, then text."""
    return {"id": "msg_r1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "thinking", "thinking": thought, "signature": SIGNATURE},
                        {"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 30}}


def response(summary: str | None = None, raw: str | None = None, text: str = ANSWER) -> dict[str, Any]:
    """OpenAI's Responses answer with a reasoning item (summary text, or raw ``reasoning_text`` content)."""
    answer = response_object({"model": "gpt-4o", "input": "x"})
    answer["output"][0]["content"][0]["text"] = text
    item: dict[str, Any] = {"id": "rs_1", "type": "reasoning", "encrypted_content": "gAAAAB-opaque",
                            "summary": [{"type": "summary_text", "text": summary}] if summary else []}
    if raw:
        item["content"] = [{"type": "reasoning_text", "text": raw}]
    answer["output"].insert(0, item)
    return answer


def _script(upstream: Any, body: dict[str, Any]) -> None:
    upstream.queue.append(Scripted(body=body))


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


# ----------------------------------------------------------------------------- a keyword in reasoning blocks


def _chat_blocked(chat: openai.OpenAI, model: str, stream: bool, field: str = "reasoning_content") -> str:
    """Ask through the chat SDK; the reasoning the client received before the block."""
    args: dict[str, Any] = {"model": model, "messages": _user("what is it?"), "extra_body": {"guardrails": FALCON}}
    if not stream:
        with pytest.raises(openai.BadRequestError) as refused:
            chat.chat.completions.create(**args)
        assert isinstance(refused.value.body, dict) and refused.value.body["code"] == "guardrail_violation"
        assert refused.value.body["guardrail"] == "falcon-out"
        return ""
    received = ""
    with pytest.raises(openai.APIError) as caught:
        for chunk in chat.chat.completions.create(**args, stream=True):
            for choice in chunk.choices:
                received += getattr(choice.delta, field, None) or ""
                assert not choice.delta.content, "the answer after the reasoning is never sent"
    assert caught.value.code == "guardrail_violation"
    assert caught.value.body["guardrail"] == "falcon-out"  # type: ignore[index]
    return received


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_chat_passthrough_reasoning_keyword_blocks(chat: openai.OpenAI, openai_upstream: Any, stream: bool,
                                                   field: str) -> None:
    _script(openai_upstream, completion(THOUGHT, field))
    received = _chat_blocked(chat, "gpt", stream, field)
    assert THOUGHT.startswith(received) and "Falcon" not in received
    assert len(openai_upstream.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_chat_translated_thinking_keyword_blocks(chat: openai.OpenAI, claude_upstream: Any, stream: bool) -> None:
    _script(claude_upstream, message(THOUGHT))
    received = _chat_blocked(chat, "claude", stream)
    assert THOUGHT.startswith(received) and "Falcon" not in received
    assert len(claude_upstream.requests) == 1


def _messages_blocked(claude: anthropic.Anthropic, model: str, stream: bool) -> str:
    args: dict[str, Any] = {"model": model, "max_tokens": 2000, "messages": _user("what is it?"),
                            "thinking": {"type": "enabled", "budget_tokens": 1024},
                            "extra_body": {"guardrails": FALCON}}
    if not stream:
        with pytest.raises(anthropic.BadRequestError) as refused:
            claude.messages.create(**args)
        body = refused.value.body
        assert isinstance(body, dict) and body["error"]["code"] == "guardrail_violation"
        return ""
    received = ""
    with pytest.raises(anthropic.APIStatusError) as caught:
        for event in claude.messages.create(**args, stream=True):
            if event.type == "content_block_delta" and event.delta.type == "thinking_delta":
                received += event.delta.thinking
            assert not (event.type == "content_block_delta" and event.delta.type == "text_delta")
    body = caught.value.body
    assert isinstance(body, dict) and body["error"]["code"] == "guardrail_violation"
    assert body["error"]["guardrail"] == "falcon-out"
    return received


@pytest.mark.parametrize("stream", [False, True])
def test_messages_passthrough_thinking_keyword_blocks(claude: anthropic.Anthropic, claude_upstream: Any,
                                                      stream: bool) -> None:
    _script(claude_upstream, message(THOUGHT))
    received = _messages_blocked(claude, "claude", stream)
    assert THOUGHT.startswith(received) and "Falcon" not in received


@pytest.mark.parametrize("stream", [False, True])
def test_messages_translated_reasoning_keyword_blocks(claude: anthropic.Anthropic, openai_upstream: Any,
                                                      stream: bool) -> None:
    _script(openai_upstream, completion(THOUGHT))
    received = _messages_blocked(claude, "gpt", stream)
    assert THOUGHT.startswith(received) and "Falcon" not in received
    assert len(openai_upstream.requests) == 1


def _responses_blocked(chat: openai.OpenAI, model: str, stream: bool) -> str:
    args: dict[str, Any] = {"model": model, "input": "what is it?", "store": False,
                            "reasoning": {"effort": "low", "summary": "auto"}, "extra_body": {"guardrails": FALCON}}
    if not stream:
        with pytest.raises(openai.BadRequestError) as refused:
            chat.responses.create(**args)
        assert isinstance(refused.value.body, dict) and refused.value.body["code"] == "guardrail_violation"
        return ""
    received, events = "", []
    for event in chat.responses.create(**args, stream=True):
        events.append(event)
        if event.type in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            received += event.delta
        assert event.type != "response.output_text.delta"
    assert events[-1].type == "response.failed"
    assert "guardrail 'falcon-out'" in events[-1].response.error.message  # type: ignore[union-attr]
    assert "Falcon" not in json.dumps([e.model_dump() for e in events])
    return received


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("where", ["summary", "raw"])
def test_responses_passthrough_reasoning_keyword_blocks(chat: openai.OpenAI, openai_upstream: Any, stream: bool,
                                                        where: str) -> None:
    _script(openai_upstream, response(summary=THOUGHT) if where == "summary" else response(raw=THOUGHT))
    received = _responses_blocked(chat, "gpt", stream)
    assert THOUGHT.startswith(received) and "Falcon" not in received


@pytest.mark.parametrize("stream", [False, True])
def test_responses_translated_thinking_keyword_blocks(chat: openai.OpenAI, claude_upstream: Any,
                                                      stream: bool) -> None:
    _script(claude_upstream, message(THOUGHT))
    received = _responses_blocked(chat, "claude", stream)
    assert THOUGHT.startswith(received) and "Falcon" not in received


# ----------------------------------------------------------------------------- masks: where the format allows

MAILED = f"They want me to write to {SECRET_EMAIL} about it, which is fine."


@pytest.mark.parametrize("stream", [False, True])
def test_chat_reasoning_is_masked(chat: openai.OpenAI, openai_upstream: Any, stream: bool) -> None:
    _script(openai_upstream, completion(MAILED))
    args: dict[str, Any] = {"model": "gpt", "messages": _user("who?"), "extra_body": {"guardrails": MASK}}
    if stream:
        chunks = list(chat.chat.completions.create(**args, stream=True))
        reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    else:
        reasoning = getattr(chat.chat.completions.create(**args).choices[0].message, "reasoning_content", "")
    assert reasoning == MAILED.replace(SECRET_EMAIL, "[EMAIL_1]")


@pytest.mark.parametrize("stream", [False, True])
def test_responses_reasoning_summary_is_masked(chat: openai.OpenAI, openai_upstream: Any, stream: bool) -> None:
    _script(openai_upstream, response(summary=MAILED))
    args: dict[str, Any] = {"model": "gpt", "input": "who?", "store": False, "extra_body": {"guardrails": MASK}}
    if stream:
        with chat.responses.stream(**args) as events:
            final = events.get_final_response()
    else:
        final = chat.responses.create(**args)
    item = final.output[0]
    assert item.type == "reasoning" and item.summary[0].text == MAILED.replace(SECRET_EMAIL, "[EMAIL_1]")
    assert item.encrypted_content == "gAAAAB-opaque"


# ----------------------------------------------------------------------------- signed thinking is never rewritten


def _post(gateway: Any, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{gateway.url}{path}", json=body, timeout=30,
                      headers={"authorization": f"Bearer {MASTER_KEY}", "anthropic-version": "2023-06-01"})


@pytest.mark.parametrize("stream", [False, True])
def test_messages_thinking_block_is_never_rewritten(claude: anthropic.Anthropic, claude_upstream: Any,
                                                    stream: bool) -> None:
    upstream = message(MAILED, text=f"Write to {SECRET_EMAIL}.")
    _script(claude_upstream, upstream)
    args: dict[str, Any] = {"model": "claude", "max_tokens": 2000, "messages": _user("who?"),
                            "thinking": {"type": "enabled", "budget_tokens": 1024}, "extra_body": {"guardrails": MASK}}
    if stream:
        with claude.messages.stream(**args) as events:
            answer = events.get_final_message()
    else:
        answer = claude.messages.create(**args)
    thinking, text = answer.content
    assert thinking.model_dump() == upstream["content"][0], "text and signature as the model signed them"
    assert text.type == "text" and text.text == "Write to [EMAIL_1]."


def test_chat_translated_thinking_blocks_are_never_rewritten(gateway: Any, claude_upstream: Any) -> None:
    upstream = message(MAILED, text=f"Write to {SECRET_EMAIL}.")
    _script(claude_upstream, upstream)
    reply = _post(gateway, "/v1/chat/completions", {"model": "claude", "messages": _user("who?"),
                                                    "reasoning_effort": "low", "guardrails": MASK})
    assert reply.status_code == 200, reply.text
    sent = reply.json()["choices"][0]["message"]
    assert sent["content"] == "Write to [EMAIL_1]."
    assert sent["thinking_blocks"] == [upstream["content"][0]] and sent["reasoning_content"] == MAILED


def _history(thought: str) -> list[dict[str, Any]]:
    """A tool-use turn with its signed thinking block, as a client sends it back."""
    return [{"role": "user", "content": "what is the weather?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": thought, "signature": SIGNATURE},
                {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                                         {"type": "text", "text": f"also mail {SECRET_EMAIL}"}]}]


def test_thinking_sent_back_is_checked_but_never_rewritten(claude: anthropic.Anthropic, claude_upstream: Any) -> None:
    history = _history(MAILED)
    answer = claude.messages.create(model="claude", max_tokens=2000, messages=copy.deepcopy(history),  # type: ignore[arg-type]
                                    thinking={"type": "enabled", "budget_tokens": 1024},
                                    extra_body={"guardrails": ["pii-in"]})
    assert answer.content[-1].type == "text", "the upstream accepted the signed block"
    (sent,) = claude_upstream.requests
    assert sent["messages"][1] == history[1]
    assert sent["messages"][2]["content"][1]["text"] == "also mail [EMAIL_1]"
    with pytest.raises(anthropic.BadRequestError) as refused:
        claude.messages.create(model="claude", max_tokens=2000, messages=_history(THOUGHT),  # type: ignore[arg-type]
                               thinking={"type": "enabled", "budget_tokens": 1024},
                               extra_body={"guardrails": ["falcon-in"]})
    assert isinstance(refused.value.body, dict) and refused.value.body["error"]["guardrail"] == "falcon-in"
    assert len(claude_upstream.requests) == 1


@pytest.mark.parametrize("model", ["gpt", "claude"])
def test_responses_reasoning_sent_back_is_checked_and_masked(chat: openai.OpenAI, openai_upstream: Any,
                                                             claude_upstream: Any, model: str) -> None:
    def items(thought: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": "who?"},
                {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": thought}]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "noted"}]},
                {"role": "user", "content": "go on"}]

    chat.responses.create(model=model, input=items(MAILED), store=False,  # type: ignore[arg-type]
                          extra_body={"guardrails": ["pii-in"]})
    upstream: Any = openai_upstream if model == "gpt" else claude_upstream
    (sent,) = upstream.requests
    assert SECRET_EMAIL not in json.dumps(sent)
    if model == "gpt":  # (Claude is sent no reasoning without a signature)
        assert sent["input"][1]["summary"][0]["text"] == MAILED.replace(SECRET_EMAIL, "[EMAIL_1]")
    blocked: Callable[[], Any] = lambda: chat.responses.create(  # noqa: E731
        model=model, input=items(THOUGHT), store=False, extra_body={"guardrails": ["falcon-in"]})  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError) as refused:
        blocked()
    assert isinstance(refused.value.body, dict) and refused.value.body["guardrail"] == "falcon-in"
    assert len(upstream.requests) == 1
