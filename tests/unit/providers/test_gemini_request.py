"""Golden translations: OpenAI chat request -> Gemini GenerateContentRequest."""

from __future__ import annotations

import base64

import pytest

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.providers.gemini.request import build_body
from tollway.providers.gemini.schema import to_gemini_schema
from tollway.providers.gemini.toolids import signature_of, tool_call_id

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False, "$schema": "http://json-schema.org/draft-07/schema#"}}}


async def test_conversation_with_system_tools_and_results() -> None:
    signed_id = tool_call_id("r1", 0, 0, "get_weather", '{"city":"Paris"}', signature="AQL/+w==")
    body = {
        "model": "gemini-2.5-flash",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "developer", "content": [{"type": "text", "text": "answer in French"}]},
            {"role": "user", "content": "weather in Paris?"},
            {"role": "user", "content": [{"type": "text", "text": "and a picture"},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
            {"role": "assistant", "content": "checking", "tool_calls": [
                {"id": signed_id, "type": "function", "function": {"name": "get_weather",
                                                                   "arguments": '{"city": "Paris"}'}},
                {"id": "call_other", "type": "function", "function": {"name": "get_time", "arguments": ""}}]},
            {"role": "tool", "tool_call_id": signed_id, "content": '{"temp": 21}'},
            {"role": "tool", "tool_call_id": "call_other", "content": "noon"},
        ],
        "tools": [WEATHER, {"type": "function", "function": {"name": "get_time",
                                                             "parameters": {"type": "object", "properties": {}}}}],
        "tool_choice": "required",
    }
    out = await build_body(body)
    assert out["systemInstruction"] == {"parts": [{"text": "be brief"}, {"text": "answer in French"}]}
    assert out["contents"] == [
        {"role": "user", "parts": [{"text": "weather in Paris?"}, {"text": "and a picture"},
                                   {"inlineData": {"mimeType": "image/png", "data": PNG}}]},
        {"role": "model", "parts": [
            {"text": "checking"},
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "AQL/+w=="},
            {"functionCall": {"name": "get_time", "args": {}}}]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
            {"functionResponse": {"name": "get_time", "response": {"output": "noon"}}}]},
    ]
    assert out["tools"] == [{"functionDeclarations": [
        {"name": "get_weather", "description": "Weather for a city",
         "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}},
        {"name": "get_time"},
    ]}]
    assert out["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert "generationConfig" not in out


@pytest.mark.parametrize(("choice", "config"), [
    ("auto", {"mode": "AUTO"}),
    ("none", {"mode": "NONE"}),
    ({"type": "function", "function": {"name": "get_weather"}},
     {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
])
async def test_tool_choice(choice: object, config: dict[str, object]) -> None:
    out = await build_body({"messages": [{"role": "user", "content": "x"}], "tools": [WEATHER], "tool_choice": choice})
    assert out["toolConfig"] == {"functionCallingConfig": config}


async def test_generation_config() -> None:
    out = await build_body({
        "messages": [{"role": "user", "content": "x"}], "temperature": 0.3, "top_p": 0.9, "max_tokens": 10,
        "max_completion_tokens": 20, "stop": "END", "n": 2, "seed": 7, "presence_penalty": 0.5,
        "frequency_penalty": -0.5, "logprobs": True, "top_logprobs": 3, "reasoning_effort": "low",
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "strict": True, "schema": {
            "$schema": "x", "type": "object", "properties": {"a": {"type": "integer"}},
            "additionalProperties": False}}},
    })
    assert out["generationConfig"] == {
        "temperature": 0.3, "topP": 0.9, "maxOutputTokens": 20, "stopSequences": ["END"], "candidateCount": 2,
        "seed": 7, "presencePenalty": 0.5, "frequencyPenalty": -0.5, "responseLogprobs": True, "logprobs": 3,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "properties": {"a": {"type": "integer"}},
                               "additionalProperties": False},
        "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": True},
    }
    json_mode = await build_body({"messages": [{"role": "user", "content": "x"}],
                                  "response_format": {"type": "json_object"}})
    assert json_mode["generationConfig"] == {"responseMimeType": "application/json"}


async def test_system_only_becomes_a_user_turn_and_audio_and_files() -> None:
    out = await build_body({"messages": [{"role": "system", "content": "hello"}]})
    assert out == {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
    out = await build_body({"messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "gs://bucket/cat.jpeg"}},
    ]}]})
    assert out["contents"][0]["parts"] == [
        {"inlineData": {"mimeType": "audio/wav", "data": "AAAA"}},
        {"inlineData": {"mimeType": "application/pdf", "data": PNG}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/cat.jpeg"}},
    ]


async def test_mistakes_are_400s() -> None:
    with pytest.raises(InvalidRequestError, match="does not match any earlier assistant tool call"):
        await build_body({"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]})
    with pytest.raises(InvalidRequestError, match="not valid JSON"):
        await build_body({"messages": [{"role": "assistant", "tool_calls": [
            {"id": "a", "function": {"name": "f", "arguments": "{oops"}}]}]})
    with pytest.raises(InvalidRequestError, match="private or reserved"):
        await build_body({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "http://127.0.0.1/x.png"}}]}]})
    with pytest.raises(UnsupportedParamError):
        await build_body({"messages": [{"role": "user", "content": "x"}], "parallel_tool_calls": False})
    dropped = await build_body({"messages": [{"role": "user", "content": "x"}], "parallel_tool_calls": False},
                               drop_params=True)
    assert "parallel_tool_calls" not in str(dropped)


def test_schema_cleaning() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "additionalProperties": False,
        "$defs": {"Unit": {"type": "string", "enum": ["c", "f"], "description": "unit"}},
        "properties": {
            "unit": {"$ref": "#/$defs/Unit"},
            "days": {"type": ["integer", "null"], "minimum": 1, "format": "int32"},
            "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            "mode": {"const": 3},
            "tags": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "extra": {"type": "object", "description": "anything"},
            "either": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "nested": {"properties": {"a": {"type": "boolean"}}, "required": ["a", "ghost"]},
        },
        "required": ["unit", "missing"],
    }
    assert to_gemini_schema(schema) == {
        "type": "OBJECT",
        "properties": {
            "unit": {"type": "STRING", "enum": ["c", "f"], "description": "unit", "format": "enum"},
            "days": {"type": "INTEGER", "minimum": 1, "format": "int32", "nullable": True},
            "when": {"type": "STRING", "format": "date-time", "nullable": True},
            "mode": {"enum": ["3"], "type": "STRING", "format": "enum"},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
            "extra": {"description": "anything", "type": "STRING"},
            "either": {"anyOf": [{"type": "STRING"}, {"type": "NUMBER"}]},
            "nested": {"properties": {"a": {"type": "BOOLEAN"}}, "required": ["a"], "type": "OBJECT"},
        },
        "required": ["unit"],
    }


def test_recursive_refs_are_cut() -> None:
    schema = {"type": "object", "$defs": {"Node": {"type": "object", "properties": {
        "child": {"$ref": "#/$defs/Node"}, "v": {"type": "string"}}}}, "properties": {"root": {"$ref": "#/$defs/Node"}}}
    out = to_gemini_schema(schema)
    depth, node = 0, out["properties"]["root"]
    while "child" in node.get("properties", {}):
        node, depth = node["properties"]["child"], depth + 1
    assert 3 < depth < 20


def test_tool_ids_are_stable_and_carry_signatures() -> None:
    a = tool_call_id("r", 0, 0, "f", "{}")
    assert a == tool_call_id("r", 0, 0, "f", "{}") and a != tool_call_id("r", 0, 1, "f", "{}")
    assert signature_of(a) is None and signature_of("call_abc") is None
    signed = tool_call_id("r", 0, 0, "f", "{}", signature="q+/9AA==")
    assert signed.startswith(a) and signature_of(signed) == "q+/9AA=="
    assert all(c.isalnum() or c in "_-" for c in signed)


async def test_gemini_3_gets_placeholder_signatures_for_foreign_calls() -> None:
    messages = [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
        {"id": "call_from_openai", "function": {"name": "f", "arguments": "{}"}},
        {"id": "call_second", "function": {"name": "g", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_from_openai", "content": "1"},
        {"role": "tool", "tool_call_id": "call_second", "content": "2"}]
    out = await build_body({"model": "gemini-3-pro-preview", "messages": messages})
    parts = out["contents"][1]["parts"]
    assert parts[0]["thoughtSignature"] == "skip_thought_signature_validator" and "thoughtSignature" not in parts[1]
    older = await build_body({"model": "gemini-2.5-flash", "messages": messages})
    assert "thoughtSignature" not in str(older)
