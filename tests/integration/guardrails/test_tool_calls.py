"""Guardrails on tool calls, through the app with the official SDKs: the strings inside tool-call arguments and
tool results are checked in requests (OpenAI ``tool_calls``, Anthropic ``tool_use``/``tool_result``, Responses
``function_call``/``function_call_output``) and in answers, buffered and streamed, on the passthrough and the
translated path; masking keeps the arguments valid JSON, and placeholders are put back inside them."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import Scripted
from tests.fakes.openai_upstream import response_object
from tests.integration.guardrails.conftest import SECRET_EMAIL, guardrail

MASK = {"guardrails": ["mask-in", "mask-out"]}
ARGS = {"to": SECRET_EMAIL, "subject": "renewal", "cc": [f"copy to {SECRET_EMAIL}"]}
MASKED_ARGS = {"to": "[EMAIL_1]", "subject": "renewal", "cc": ["copy to [EMAIL_1]"]}
#: a tool whose schema makes the mock model call it with the secret address
SEND = {"type": "function", "function": {"name": "send_mail", "parameters": {
    "type": "object", "properties": {"to": {"type": "string", "enum": [SECRET_EMAIL]}}, "required": ["to"]}}}


@pytest.fixture
def gateway(start_gateway: Any, openai_upstream: Any, claude_upstream: Any) -> Any:
    return start_gateway({
        "model_list": [
            {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_base": openai_upstream.base_url,
                                                     "api_key": "sk-up"}},
            {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5",
                                                        "api_base": claude_upstream.url, "api_key": "sk-ant-up"}},
            {"model_name": "mocky", "litellm_params": {"model": "mock/m"}},
        ],
        "router_settings": {"num_retries": 0},
        "guardrails": [
            guardrail("mask-in", "pii", entities=["EMAIL_ADDRESS"]),
            guardrail("mask-out", "pii", mode="post_call", entities=["EMAIL_ADDRESS"]),
            guardrail("block-out", "pii", mode="post_call", action="block", entities=["EMAIL_ADDRESS"]),
            guardrail("restore", "pii", entities=["EMAIL_ADDRESS"], output_parse_pii=True),
        ],
    })


@pytest.fixture
def client(gateway: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


@pytest.fixture
def claude_client(gateway: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)


def _completion(arguments: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None, "message": {
                "role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "send_mail", "arguments": arguments}}]}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}}


def _claude_message(tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Sending it."},
                        {"type": "tool_use", "id": "toolu_1", "name": "send_mail", "input": tool_input}],
            "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 5}}


# ----------------------------------------------------------------------------- requests


@pytest.mark.parametrize("model", ["gpt", "claude"])
def test_chat_tool_call_arguments_and_tool_results_are_masked_before_the_upstream(
        client: openai.OpenAI, openai_upstream: Any, claude_upstream: Any, model: str) -> None:
    """Passed through to OpenAI, translated for Claude: either way the upstream never sees the address and the
    arguments it gets are valid JSON."""
    client.chat.completions.create(model=model, extra_body={"guardrails": ["mask-in"]}, messages=[
        {"role": "user", "content": "mail the renewal"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "send_mail", "arguments": json.dumps(ARGS)}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": f"delivered to {SECRET_EMAIL}"}])
    upstream = openai_upstream if model == "gpt" else claude_upstream
    (sent,) = upstream.requests
    assert SECRET_EMAIL not in json.dumps(sent)
    if model == "gpt":
        assert json.loads(sent["messages"][1]["tool_calls"][0]["function"]["arguments"]) == MASKED_ARGS
        assert sent["messages"][2]["content"] == "delivered to [EMAIL_1]"
    else:
        assert sent["messages"][1]["content"][0]["input"] == MASKED_ARGS
        assert "delivered to [EMAIL_1]" in json.dumps(sent["messages"][2]["content"])


def test_messages_tool_use_input_and_tool_result_are_masked_before_the_upstream(
        claude_client: anthropic.Anthropic, claude_upstream: Any) -> None:
    claude_client.messages.create(model="claude", max_tokens=50, extra_body={"guardrails": ["mask-in"]}, messages=[
        {"role": "user", "content": "mail the renewal"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "send_mail", "input": ARGS}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": f"delivered to {SECRET_EMAIL}"}]}])
    (sent,) = claude_upstream.requests
    assert sent["messages"][1]["content"][0]["input"] == MASKED_ARGS
    assert sent["messages"][2]["content"][0]["content"] == "delivered to [EMAIL_1]"
    assert SECRET_EMAIL not in json.dumps(sent)


def test_responses_function_call_items_are_masked_before_the_upstream(client: openai.OpenAI,
                                                                      openai_upstream: Any) -> None:
    client.responses.create(model="gpt", store=False, extra_body={"guardrails": ["mask-in"]}, input=[
        {"role": "user", "content": "mail the renewal"},
        {"type": "function_call", "call_id": "call_1", "name": "send_mail", "arguments": json.dumps(ARGS)},
        {"type": "function_call_output", "call_id": "call_1", "output": f"delivered to {SECRET_EMAIL}"}])
    (sent,) = openai_upstream.requests
    assert json.loads(sent["input"][1]["arguments"]) == MASKED_ARGS
    assert sent["input"][2]["output"] == "delivered to [EMAIL_1]" and SECRET_EMAIL not in json.dumps(sent)


# ----------------------------------------------------------------------------- answers


@pytest.mark.parametrize(("model", "stream"), [("gpt", False), ("mocky", False), ("mocky", True)])
def test_chat_tool_calls_in_answers_are_masked_as_valid_json(client: openai.OpenAI, openai_upstream: Any,
                                                             model: str, stream: bool) -> None:
    from tests.fakes.openai_upstream import Scripted as OpenAIScripted

    openai_upstream.queue.append(OpenAIScripted(body=_completion(json.dumps(ARGS))))
    args: dict[str, Any] = {"model": model, "tools": [SEND], "tool_choice": "required", "extra_body": MASK,
                            "messages": [{"role": "user", "content": "send the renewal mail"}]}
    if stream:
        pieces = [c.choices[0].delta.tool_calls for c in client.chat.completions.create(stream=True, **args)
                  if c.choices and c.choices[0].delta.tool_calls]
        arguments = "".join(call.function.arguments or "" for calls in pieces for call in calls if call.function)
        assert len(pieces) > 2, "the arguments came in several pieces"
    else:
        call = client.chat.completions.create(**args).choices[0].message.tool_calls[0]  # type: ignore[index]
        arguments = call.function.arguments  # type: ignore[union-attr]
    expected = MASKED_ARGS if model == "gpt" else {"to": "[EMAIL_1]"}
    assert json.loads(arguments) == expected


def test_a_streamed_tool_call_is_stopped_before_the_address_is_sent(gateway: Any) -> None:
    body = {"model": "mocky", "stream": True, "tools": [SEND], "tool_choice": "required",
            "guardrails": ["block-out"], "messages": [{"role": "user", "content": "send the renewal mail"}]}
    response = httpx.post(f"{gateway.url}/v1/chat/completions", json=body, timeout=30,
                          headers={"authorization": f"Bearer {MASTER_KEY}"})
    assert response.status_code == 200 and SECRET_EMAIL.split("@")[0] not in response.text
    events = [e for e in response.text.split("\n\n") if e.strip()]
    error = json.loads(events[-1].removeprefix("data: "))
    assert error["error"]["code"] == "guardrail_violation" and error["error"]["guardrail"] == "block-out"


@pytest.mark.parametrize("stream", [False, True])
def test_messages_tool_use_in_answers_is_masked(claude_client: anthropic.Anthropic, claude_upstream: Any,
                                                stream: bool) -> None:
    claude_upstream.queue.append(Scripted(body=_claude_message(ARGS)))
    args: dict[str, Any] = {"model": "claude", "max_tokens": 50, "extra_body": MASK,
                            "messages": [{"role": "user", "content": "send the renewal mail"}]}
    if stream:
        with claude_client.messages.stream(**args) as events:
            message = events.get_final_message()
    else:
        message = claude_client.messages.create(**args)
    block = message.content[1]
    assert block.type == "tool_use" and block.input == MASKED_ARGS


@pytest.mark.parametrize("model", ["gpt", "claude"])
@pytest.mark.parametrize("stream", [False, True])
def test_responses_function_calls_in_answers_are_masked(client: openai.OpenAI, openai_upstream: Any,
                                                        claude_upstream: Any, model: str, stream: bool) -> None:
    """Passed through from OpenAI's Responses API, or translated from Claude's ``tool_use``."""
    from tests.fakes.openai_upstream import Scripted as OpenAIScripted

    answer = response_object({"model": "gpt-4o", "input": "x", "tool_choice": {"type": "function",
                                                                               "name": "send_mail"}})
    answer["output"][0]["arguments"] = json.dumps(ARGS)
    openai_upstream.queue.append(OpenAIScripted(body=answer))
    claude_upstream.queue.append(Scripted(body=_claude_message(ARGS)))
    args: dict[str, Any] = {"model": model, "input": "send the renewal mail", "store": False, "extra_body": MASK,
                            "tools": [{"type": "function", "name": "send_mail", "parameters": {"type": "object"}}]}
    if stream:
        with client.responses.stream(**args) as events:
            response = events.get_final_response()
    else:
        response = client.responses.create(**args)
    (call,) = [item for item in response.output if item.type == "function_call"]
    assert json.loads(call.arguments) == MASKED_ARGS  # type: ignore[union-attr]


@pytest.mark.parametrize("stream", [False, True])
def test_placeholders_are_put_back_inside_tool_call_arguments(claude_client: anthropic.Anthropic,
                                                              claude_upstream: Any, stream: bool) -> None:
    """The model only ever saw ``[EMAIL_1]`` and used it in a tool call: the caller gets the address back."""
    claude_upstream.queue.append(Scripted(body=_claude_message({"to": "[EMAIL_1]", "note": "for [EMAIL_1]"})))
    args: dict[str, Any] = {"model": "claude", "max_tokens": 50, "extra_body": {"guardrails": ["restore"]},
                            "messages": [{"role": "user", "content": f"mail {SECRET_EMAIL} the renewal"}]}
    if stream:
        with claude_client.messages.stream(**args) as events:
            message = events.get_final_message()
    else:
        message = claude_client.messages.create(**args)
    assert SECRET_EMAIL not in json.dumps(claude_upstream.requests)
    block = message.content[1]
    assert block.type == "tool_use" and block.input == {"to": SECRET_EMAIL, "note": f"for {SECRET_EMAIL}"}
