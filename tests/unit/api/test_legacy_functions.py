"""Legacy ``functions``/``function_call`` become tools on the way in and come back in the legacy shape."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.api.legacy_functions import upgrade
from tollway.errors import InvalidRequestError
from tollway.types.chat import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    Choice,
    ChunkChoice,
    Delta,
    FunctionCall,
    FunctionCallDelta,
    ResponseMessage,
    ToolCall,
    ToolCallDelta,
)

WEATHER = {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


def request(**fields: Any) -> ChatRequest:
    return ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields})


def test_functions_and_function_call_become_tools_and_tool_choice() -> None:
    body = request(functions=[WEATHER], function_call={"name": "get_weather"})
    legacy = upgrade(body)
    assert legacy.active and body.functions is None and body.function_call is None
    assert body.tools is not None and body.tools[0].function.name == "get_weather"
    assert body.model_dump(exclude_none=True)["tool_choice"] == {"type": "function",
                                                                 "function": {"name": "get_weather"}}
    auto = request(functions=[WEATHER], function_call="none")
    upgrade(auto)
    assert auto.tool_choice == "none"


def test_history_with_function_calls_and_results_becomes_tool_messages() -> None:
    body = request(functions=[WEATHER], messages=[
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": "{}"}},
        {"role": "function", "name": "get_weather", "content": "sunny"},
    ])
    upgrade(body)
    dumped = [m.model_dump(exclude_none=True) for m in body.messages]
    call_id = dumped[1]["tool_calls"][0]["id"]
    assert dumped[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": "{}"}
    assert "function_call" not in dumped[1]
    assert dumped[2] == {"role": "tool", "tool_call_id": call_id, "content": "sunny"}


def test_requests_openai_refuses() -> None:
    tool = {"type": "function", "function": WEATHER}
    with pytest.raises(InvalidRequestError, match="either 'functions' or 'tools'"):
        upgrade(request(functions=[WEATHER], tools=[tool]))
    with pytest.raises(InvalidRequestError, match="only allowed when 'functions'") as info:
        upgrade(request(function_call="auto"))
    assert info.value.param == "function_call"


async def test_answers_come_back_as_function_call() -> None:
    legacy = upgrade(request(functions=[WEATHER]))
    call = ToolCall(id="c1", function=FunctionCall(name="get_weather", arguments='{"city":"Paris"}'))
    response = legacy.response(ChatResponse(id="x", created=0, model="m", choices=[
        Choice(message=ResponseMessage(tool_calls=[call]), finish_reason="tool_calls")]))
    message = response.model_dump(exclude_none=True)["choices"][0]
    assert message["finish_reason"] == "function_call"
    assert message["message"] == {"role": "assistant",
                                  "function_call": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}

    async def chunks() -> Any:
        for delta, finish in [
            (Delta(tool_calls=[ToolCallDelta(index=0, id="c1", type="function",
                                             function=FunctionCallDelta(name="get_weather", arguments=""))]), None),
            (Delta(tool_calls=[ToolCallDelta(index=0, function=FunctionCallDelta(arguments='{"city"'))]), None),
            (Delta(), "tool_calls"),
        ]:
            yield ChatChunk(id="x", created=0, model="m", choices=[ChunkChoice(delta=delta, finish_reason=finish)])

    out = [c.model_dump(exclude_none=True)["choices"][0] async for c in legacy.stream(chunks())]
    assert out[0]["delta"] == {"function_call": {"name": "get_weather", "arguments": ""}}
    assert out[1]["delta"] == {"function_call": {"arguments": '{"city"'}}
    assert out[2]["finish_reason"] == "function_call"


def test_plain_requests_are_untouched() -> None:
    body = request()
    before = body.model_dump()
    assert not upgrade(body).active and body.model_dump() == before
