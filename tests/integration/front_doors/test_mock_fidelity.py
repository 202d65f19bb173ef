"""The mock follows the request through the real SDKs: structured outputs, tools, streams, reasoning."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import anthropic
import jsonschema
import openai
import pytest
from pydantic import BaseModel

from tests.conftest import MASTER_KEY

READ = {"type": "function", "function": {"name": "Read", "description": "Read a file", "parameters": {
    "type": "object", "properties": {"file_path": {"type": "string"}, "offset": {"type": "integer", "minimum": 1},
                                     "limit": {"type": "integer", "minimum": 1}},
    "required": ["file_path"], "additionalProperties": False}}}
BOOK = {"type": "function", "function": {"name": "book_flight", "parameters": {
    "type": "object", "additionalProperties": False,
    "required": ["passengers", "cabin", "depart", "contact"],
    "properties": {
        "passengers": {"type": "array", "minItems": 2, "items": {
            "type": "object", "required": ["name", "age"],
            "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 120}}}},
        "cabin": {"type": "string", "enum": ["economy", "business"]},
        "depart": {"type": "string", "format": "date"},
        "contact": {"type": "object", "required": ["email"], "properties": {
            "email": {"type": "string", "format": "email"}, "phone": {"type": ["string", "null"]}}},
    }}}}


class Kind(StrEnum):
    MATH = "math"
    LOGIC = "logic"


class Step(BaseModel):
    explanation: str
    output: str


class Reasoning(BaseModel):
    kind: Kind
    steps: list[Step]
    final_answer: str
    confidence: float | None


@pytest.fixture
def gateway(start_gateway: Any) -> Any:
    return start_gateway({"model_list": [{"model_name": "mock", "litellm_params": {"model": "mock/m"}}]})


@pytest.fixture
def sdk(gateway: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_parse_returns_the_pydantic_model(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.parse(model="mock", messages=_user("solve 8x + 7 = -23"),  # type: ignore[arg-type]
                                            response_format=Reasoning)
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Reasoning) and parsed.steps and isinstance(parsed.kind, Kind)
    obj = sdk.chat.completions.create(model="mock", messages=_user("list three colours"),  # type: ignore[arg-type]
                                      response_format={"type": "json_object"})
    assert isinstance(json.loads(obj.choices[0].message.content or ""), dict)


def test_tool_arguments_follow_the_schema(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model="mock", messages=_user("I need a trip"),  # type: ignore[arg-type]
                                             tools=[READ, BOOK], tool_choice="required")  # type: ignore[list-item]
    [call] = completion.choices[0].message.tool_calls or []
    assert completion.choices[0].finish_reason == "tool_calls" and call.function.name == "Read"  # first tool
    forced = sdk.chat.completions.create(  # type: ignore[call-overload]
        model="mock", messages=_user("I need a trip"), tools=[READ, BOOK],
        tool_choice={"type": "function", "function": {"name": "book_flight"}})
    [booking] = forced.choices[0].message.tool_calls or []
    arguments = json.loads(booking.function.arguments)
    jsonschema.validate(arguments, BOOK["function"]["parameters"],  # type: ignore[index]
                        format_checker=jsonschema.FormatChecker())
    assert len(arguments["passengers"]) >= 2


def test_tool_choice_rules_end_agent_loops(sdk: openai.OpenAI) -> None:
    named = sdk.chat.completions.create(model="mock", messages=_user("read the file /tmp/notes.txt please"),  # type: ignore[arg-type]
                                        tools=[BOOK, READ])  # type: ignore[list-item]
    [call] = named.choices[0].message.tool_calls or []
    assert call.function.name == "Read" and json.loads(call.function.arguments)["file_path"] == "/tmp/notes.txt"
    again = sdk.chat.completions.create(model="mock", messages=_user("read the file /tmp/notes.txt please"),  # type: ignore[arg-type]
                                        tools=[BOOK, READ])  # type: ignore[list-item]
    assert (again.choices[0].message.tool_calls or [])[0] == call  # deterministic, id included
    plain = sdk.chat.completions.create(model="mock", messages=_user("say hi"), tools=[BOOK, READ])  # type: ignore[arg-type,list-item]
    assert plain.choices[0].message.tool_calls is None and plain.choices[0].finish_reason == "stop"
    none = sdk.chat.completions.create(model="mock", messages=_user("Read it"), tools=[READ], tool_choice="none")  # type: ignore[arg-type,list-item]
    assert none.choices[0].message.tool_calls is None
    answered = sdk.chat.completions.create(model="mock", tools=[READ], messages=[  # type: ignore[list-item]
        *_user("read /tmp/notes.txt"),
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "hello from the file"},
    ])
    assert answered.choices[0].message.tool_calls is None
    assert "hello from the file" in (answered.choices[0].message.content or "")


def test_streamed_tool_call_deltas_reassemble(sdk: openai.OpenAI) -> None:
    kwargs: dict[str, Any] = {"model": "mock", "messages": _user("book_flight for us"), "tools": [BOOK]}
    whole = sdk.chat.completions.create(**kwargs)
    [expected] = whole.choices[0].message.tool_calls or []
    pieces: list[str] = []
    ids, names, finish = set(), [], None
    for chunk in sdk.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True}):
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                assert delta.index == 0
                ids.add(delta.id) if delta.id else None
                names.append(delta.function.name) if delta.function and delta.function.name else None
                pieces.append((delta.function.arguments or "") if delta.function else "")
            finish = choice.finish_reason or finish
    assert len([p for p in pieces if p]) > 2  # really streamed in pieces
    assert ids == {expected.id} and names == ["book_flight"] and finish == "tool_calls"
    assert json.loads("".join(pieces)) == json.loads(expected.function.arguments)


def test_reasoning_when_asked(sdk: openai.OpenAI) -> None:
    answer = sdk.chat.completions.create(model="mock", messages=_user("why is the sky blue"),  # type: ignore[arg-type]
                                         reasoning_effort="high")
    message = answer.choices[0].message
    assert "why is the sky blue" in str(getattr(message, "reasoning_content", ""))
    assert answer.usage is not None and answer.usage.completion_tokens_details is not None
    assert answer.usage.completion_tokens_details.reasoning_tokens > 0
    plain = sdk.chat.completions.create(model="mock", messages=_user("why is the sky blue"))  # type: ignore[arg-type]
    assert getattr(plain.choices[0].message, "reasoning_content", None) is None
    stream = sdk.chat.completions.create(model="mock", messages=_user("why is the sky blue"),  # type: ignore[arg-type]
                                         reasoning_effort="high", stream=True)
    reasoned = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in stream if c.choices)
    assert reasoned == getattr(message, "reasoning_content", None)


def test_anthropic_clients_get_thinking_and_a_read_round_trip(gateway: Any) -> None:
    client = anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
    tools = [{"name": "Read", "description": "Read a file", "input_schema": READ["function"]["parameters"]},  # type: ignore[index]
             {"name": "Bash", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
                                               "required": ["command"]}}]
    prompt = [{"role": "user", "content": [
        {"type": "text", "text": "<system-reminder>Bash is available</system-reminder>"},
        {"type": "text", "text": "Read /work/project/README.md and summarise it"}]}]
    first = client.messages.create(model="mock", max_tokens=2048, tools=tools, messages=prompt,  # type: ignore[arg-type]
                                   thinking={"type": "enabled", "budget_tokens": 1024})
    kinds = [block.type for block in first.content]
    assert kinds == ["thinking", "tool_use"] and first.stop_reason == "tool_use"
    use = first.content[1]
    assert use.type == "tool_use" and use.name == "Read" and use.input == {"file_path": "/work/project/README.md"}
    second = client.messages.create(model="mock", max_tokens=2048, tools=tools, messages=[  # type: ignore[arg-type]
        *prompt, {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "# Project"}]},
    ])
    assert second.stop_reason == "end_turn" and "# Project" in second.content[-1].text  # type: ignore[union-attr]
    with client.messages.stream(model="mock", max_tokens=256, tools=tools, messages=prompt) as stream:  # type: ignore[arg-type]
        final = stream.get_final_message()
    assert final.content[0].type == "tool_use" and final.content[0].input == use.input
