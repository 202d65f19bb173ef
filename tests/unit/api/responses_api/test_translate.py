"""Responses API items -> canonical chat messages, and canonical answers -> Response objects (golden)."""

from __future__ import annotations

import pytest
from openai.types.responses import Response

from tollway.api.responses_api.models import ResponsesRequest
from tollway.api.responses_api.translate import to_chat_request, to_response
from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.types.chat import ChatResponse


def _chat(body: dict, history: list | None = None, *, drop: bool = False) -> dict:
    request = to_chat_request(ResponsesRequest.model_validate(body), history or [], drop_params=drop)
    return request.model_dump(exclude_none=True)


def test_string_input_and_instructions() -> None:
    chat = _chat({"model": "m", "input": "hi", "instructions": "be brief", "max_output_tokens": 50,
                  "temperature": 0.2, "reasoning": {"effort": "xhigh", "summary": "auto"}})
    assert chat["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert chat["max_completion_tokens"] == 50 and chat["temperature"] == 0.2
    assert chat["reasoning_effort"] == "high"


def test_items_tool_round_trip_with_reasoning_and_images() -> None:
    items = [
        {"role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "what is this?"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
            {"type": "input_file", "file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}]},
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "think"}]},
        {"type": "function_call", "call_id": "call_1", "name": "look", "arguments": "{\"q\":1}"},
        {"type": "function_call", "call_id": "call_2", "name": "look", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "one"},
        {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "two"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
    ]
    messages = _chat({"model": "m", "input": items})["messages"]
    assert messages[0] == {"role": "developer", "content": "rules"}
    assert messages[1]["content"][1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA",
                                                                            "detail": "low"}}
    assert messages[1]["content"][2] == {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE",
                                                                  "filename": "a.pdf"}}
    assistant = messages[2]
    assert assistant["reasoning_content"] == "think"
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_1", "call_2"]
    assert messages[3] == {"role": "tool", "tool_call_id": "call_1", "content": "one"}
    assert messages[4] == {"role": "tool", "tool_call_id": "call_2", "content": "two"}
    assert messages[5] == {"role": "assistant", "content": "done"}


def test_history_comes_first_and_errors_name_the_clients_index() -> None:
    history = [{"type": "message", "role": "user", "content": "earlier"}]
    chat = _chat({"model": "m", "input": "now"}, history)
    assert [m["content"] for m in chat["messages"]] == ["earlier", "now"]
    with pytest.raises(InvalidRequestError) as err:
        _chat({"model": "m", "input": [{"role": "user", "content": "a"}, "bare string"]}, history)
    assert err.value.param == "input[1]"
    with pytest.raises(InvalidRequestError) as err:
        _chat({"model": "m", "input": [{"role": "user", "content": "a"}, {"type": "mcp_call"}]}, history)
    assert err.value.param == "input[1].type"


def test_tools_text_format_and_choices() -> None:
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True}]
    chat = _chat({"model": "m", "input": "x", "tools": tools, "tool_choice": {"type": "function", "name": "f"},
                  "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"},
                                      "strict": True}}})
    assert chat["tools"] == [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"},
                                                               "strict": True}}]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert chat["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "out", "schema": {"type": "object"}, "strict": True}}
    with pytest.raises(UnsupportedParamError) as err:
        _chat({"model": "m", "input": "x", "tools": [*tools, {"type": "web_search"}]})
    assert err.value.param == "tools[1].type" and "web_search" in err.value.message
    assert len(_chat({"model": "m", "input": "x", "tools": [*tools, {"type": "web_search"}]}, drop=True)["tools"]) == 1
    allowed = _chat({"model": "m", "input": "x", "tools": [*tools, {**tools[0], "name": "g"}],
                     "tool_choice": {"type": "allowed_tools", "mode": "required",
                                     "tools": [{"type": "function", "name": "g"}]}})
    assert [t["function"]["name"] for t in allowed["tools"]] == ["g"] and allowed["tool_choice"] == "required"


def test_response_object_parses_with_the_sdk() -> None:
    chat = ChatResponse.model_validate({
        "id": "chatcmpl-1", "created": 1700000000, "model": "m",
        "choices": [{"index": 0, "finish_reason": "length", "message": {
            "role": "assistant", "content": "partial", "reasoning_content": "hmm",
            "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14,
                  "prompt_tokens_details": {"cached_tokens": 3},
                  "completion_tokens_details": {"reasoning_tokens": 2}},
    })
    body = ResponsesRequest.model_validate({"model": "alias", "input": "x", "metadata": {"k": "v"}})
    data = to_response(chat, body, "resp_1")
    parsed = Response.model_validate(data)
    assert parsed.status == "incomplete" and parsed.incomplete_details.reason == "max_output_tokens"
    assert [item.type for item in parsed.output] == ["reasoning", "message", "function_call"]
    assert parsed.output_text == "partial" and parsed.model == "alias" and parsed.metadata == {"k": "v"}
    assert parsed.usage.input_tokens_details.cached_tokens == 3
    assert parsed.usage.output_tokens_details.reasoning_tokens == 2


def test_namespace_tools_are_flattened_and_split_back() -> None:
    """Codex groups tools in namespaces; providers without them see ``<namespace>__<name>``."""
    tools = [{"type": "namespace", "name": "crm", "description": "CRM", "tools": [
        {"type": "function", "name": "lookup", "parameters": {"type": "object"}}]}]
    history = [{"type": "function_call", "call_id": "c1", "namespace": "crm", "name": "lookup", "arguments": "{}"},
               {"type": "function_call_output", "call_id": "c1", "output": "found"}]
    chat = _chat({"model": "m", "input": history, "tools": tools})
    assert chat["tools"][0]["function"]["name"] == "crm__lookup"
    assert chat["messages"][0]["tool_calls"][0]["function"]["name"] == "crm__lookup"
    answer = ChatResponse.model_validate({"id": "x", "created": 1, "model": "m", "choices": [{"message": {
        "role": "assistant", "tool_calls": [{"id": "c2", "function": {"name": "crm__lookup", "arguments": "{}"}},
                                            {"id": "c3", "function": {"name": "other__x", "arguments": "{}"}}]}}]})
    calls = to_response(answer, ResponsesRequest.model_validate({"model": "m", "input": "x", "tools": tools}),
                        "resp_2")["output"]
    assert (calls[0]["namespace"], calls[0]["name"]) == ("crm", "lookup")
    assert "namespace" not in calls[1] and calls[1]["name"] == "other__x"
