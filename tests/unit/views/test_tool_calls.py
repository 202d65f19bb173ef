"""Tool-call arguments and tool results through the views: every string inside the arguments is a part of its
own, a rewrite keeps the arguments valid JSON, and streamed argument pieces are raw JSON on channels of their
own (OpenAI chat, Anthropic Messages, the Responses API; dicts and the canonical models alike)."""

from __future__ import annotations

import json
from typing import Any

from tollway.types.chat import ChatRequest, ChatResponse
from tollway.views import anthropic, openai_chat, responses
from tollway.views.base import TextView

ARGS = json.dumps({"to": "bob@example.com", "cc": ["amy@example.com"], "note": 'say "hi"\nthen \\ go', "n": 3})


def _found(view: TextView, obj: Any) -> list[tuple[str, str, str, Any, str, str]]:
    return [(p.label, p.role, p.text, p.channel, p.kind, p.syntax) for p in view.parts(obj)]


def _mask(view: TextView, obj: Any, old: str, new: str) -> Any:
    for part in list(view.parts(obj)):
        if old in part.text:
            view.replace(obj, part, part.text.replace(old, new))
    return obj


def _chat_request() -> dict[str, Any]:
    return {"model": "m", "messages": [
        {"role": "user", "content": "mail bob"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "send", "arguments": ARGS}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sent to bob@example.com"}]}


def test_openai_chat_request_reads_every_string_in_the_arguments_and_the_tool_result() -> None:
    found = _found(openai_chat.REQUEST, _chat_request())
    assert ("messages[1].tool_calls[0].function.arguments.to", "assistant", "bob@example.com", 0, "text",
            "text") in found
    assert ("messages[1].tool_calls[0].function.arguments.cc[0]", "assistant", "amy@example.com", 0, "text",
            "text") in found
    assert ("messages[1].tool_calls[0].function.arguments.note", "assistant", 'say "hi"\nthen \\ go', 0, "text",
            "text") in found
    assert ("messages[2].content", "tool", "sent to bob@example.com", 0, "text", "text") in found


def test_rewriting_an_argument_keeps_the_arguments_valid_json() -> None:
    for request in (_chat_request(), ChatRequest.model_validate(_chat_request())):
        _mask(openai_chat.REQUEST, request, "@example.com", ' "quoted" \\ [EMAIL]')
        arguments = (request["messages"][1]["tool_calls"][0]["function"]["arguments"] if isinstance(request, dict)
                     else request.messages[1].tool_calls[0].function.arguments)  # type: ignore[union-attr,index]
        data = json.loads(arguments)
        assert data["to"] == 'bob "quoted" \\ [EMAIL]' and data["cc"] == ['amy "quoted" \\ [EMAIL]'] and data["n"] == 3


def test_arguments_that_are_not_json_are_one_plain_part() -> None:
    request = {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "to bob@example.com"}}]}]}
    assert _found(openai_chat.REQUEST, request) == [
        ("messages[0].tool_calls[0].function.arguments", "assistant", "to bob@example.com", 0, "text", "text")]


def test_openai_response_and_chunk_tool_calls() -> None:
    response = ChatResponse.model_validate({"id": "r", "created": 1, "model": "m", "choices": [
        {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "send", "arguments": ARGS}}]}}]})
    assert ("choices[0].message.tool_calls[0].function.arguments.to", "assistant", "bob@example.com", 0, "text",
            "text") in _found(openai_chat.RESPONSE, response)
    chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 1, "function": {"arguments": '{"to": "bo'}}]}}]}
    assert _found(openai_chat.CHUNK, chunk) == [
        ("choices[0].delta.tool_calls[0].function.arguments", "assistant", '{"to": "bo', (0, 1), "delta", "json")]


def test_anthropic_tool_use_input_in_requests_responses_and_events() -> None:
    request = {"messages": [{"role": "assistant", "content": [
        {"type": "text", "text": "sending"},
        {"type": "tool_use", "id": "t", "name": "send", "input": {"to": "bob@example.com", "meta": {"n": 1}}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok bob@example.com"}]}]}
    found = _found(anthropic.REQUEST, request)
    assert ("messages[0].content[1].input.to", "assistant", "bob@example.com", 0, "text", "text") in found
    assert ("messages[1].content[0].content", "tool", "ok bob@example.com", 0, "text", "text") in found
    _mask(anthropic.REQUEST, request, "bob@example.com", "[EMAIL_1]")
    assert request["messages"][0]["content"][1]["input"] == {"to": "[EMAIL_1]", "meta": {"n": 1}}
    message = {"content": [{"type": "tool_use", "id": "t", "name": "send", "input": {"to": "x@example.com"}}]}
    assert _found(anthropic.RESPONSE, message) == [("content[0].input.to", "assistant", "x@example.com", 0, "text",
                                                    "text")]
    event = {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '"x@'}}
    assert _found(anthropic.EVENT, event) == [("delta.partial_json", "assistant", '"x@', (0, 2), "delta", "json")]


def test_responses_function_calls_in_input_output_and_events() -> None:
    request = {"input": [{"type": "function_call", "call_id": "c", "name": "send", "arguments": ARGS},
                         {"type": "function_call_output", "call_id": "c", "output": "sent to bob@example.com"}]}
    found = _found(responses.REQUEST, request)
    assert ("input[0].arguments.to", "assistant", "bob@example.com", 0, "text", "text") in found
    assert ("input[1].output", "tool", "sent to bob@example.com", 0, "text", "text") in found
    output = {"output": [{"type": "function_call", "call_id": "c", "name": "send", "arguments": ARGS}]}
    assert ("output[0].arguments.to", "assistant", "bob@example.com", 0, "text", "text") in _found(
        responses.RESPONSE, output)
    delta = {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": '{"to":'}
    assert _found(responses.EVENT, delta) == [("delta", "assistant", '{"to":', 1, "delta", "json")]
    done = {"type": "response.function_call_arguments.done", "output_index": 1, "arguments": ARGS}
    assert ("arguments.to", "assistant", "bob@example.com", 1, "snapshot", "text") in _found(responses.EVENT, done)
