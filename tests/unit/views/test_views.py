"""Golden inputs for every text view: which parts it finds (location, role, channel, kind) and that
``replace`` changes exactly that string, for dicts in each wire format and for the canonical models."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
from tollway.types.embeddings import EmbeddingRequest
from tollway.views import anthropic, canonical, completions, embeddings, openai_chat, responses
from tollway.views.base import TextPart, TextView


def _found(view: TextView, obj: Any) -> list[tuple[str, str, str, Any, str]]:
    return [(p.label, p.role, p.text, p.channel, p.kind) for p in view.parts(obj)]


def _upper_all(view: TextView, obj: Any) -> Any:
    for part in list(view.parts(obj)):
        view.replace(obj, part, part.text.upper())
    return obj


CHAT_REQUEST = {"model": "m", "messages": [
    {"role": "system", "content": "be nice"},
    {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "u"}},
                                 {"type": "text", "text": "there"}]},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function",
                                                           "function": {"name": "f", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "c", "content": "sunny"},
]}


def test_openai_chat_request_dict() -> None:
    assert _found(openai_chat.REQUEST, CHAT_REQUEST) == [
        ("messages[0].content", "system", "be nice", 0, "text"),
        ("messages[1].content[0].text", "user", "hi", 0, "text"),
        ("messages[1].content[2].text", "user", "there", 0, "text"),
        ("messages[3].content", "tool", "sunny", 0, "text"),
    ]
    changed = _upper_all(openai_chat.REQUEST, copy.deepcopy(CHAT_REQUEST))
    assert changed["messages"][1]["content"][2] == {"type": "text", "text": "THERE"}
    assert changed["messages"][1]["content"][1] == CHAT_REQUEST["messages"][1]["content"][1]  # type: ignore[index]
    assert openai_chat.REQUEST.message_count(CHAT_REQUEST) == 4


def test_clamp_output_lowers_existing_caps_or_sets_one() -> None:
    body: dict[str, Any] = {"max_completion_tokens": 900, "messages": []}
    assert openai_chat.REQUEST.clamp_output(body, 100) and body["max_completion_tokens"] == 100
    assert not openai_chat.REQUEST.clamp_output(body, 500) and body["max_completion_tokens"] == 100
    empty: dict[str, Any] = {}
    assert anthropic.REQUEST.clamp_output(empty, 64) and empty == {"max_tokens": 64}
    assert responses.REQUEST.clamp_output(empty, 10) and empty["max_output_tokens"] == 10


def test_openai_chat_response_and_chunk_dicts_use_choice_index_as_channel() -> None:
    response = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "a"}},
                            {"index": 1, "message": {"role": "assistant", "content": None, "refusal": "no"}}]}
    assert _found(openai_chat.RESPONSE, response) == [("choices[0].message.content", "assistant", "a", 0, "text"),
                                                      ("choices[1].message.refusal", "assistant", "no", 1, "text")]
    chunk = {"choices": [{"index": 1, "delta": {"content": "x"}}, {"index": 0, "delta": {"content": ""}}]}
    assert _found(openai_chat.CHUNK, chunk) == [("choices[0].delta.content", "assistant", "x", 1, "delta")]
    assert _found(openai_chat.CHUNK, {"choices": [], "usage": {"prompt_tokens": 1}}) == []


def test_canonical_models_read_and_rewrite_like_their_dicts() -> None:
    request = ChatRequest.model_validate(CHAT_REQUEST)
    assert _found(canonical.CHAT_REQUEST, request) == _found(openai_chat.REQUEST, CHAT_REQUEST)
    _upper_all(canonical.CHAT_REQUEST, request)
    assert request.messages[0].content == "BE NICE"
    assert request.model_dump(exclude_none=True)["messages"][1]["content"][0]["text"] == "HI"
    response = ChatResponse.model_validate({"id": "r", "created": 1, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}}]})
    _upper_all(canonical.CHAT_RESPONSE, response)
    assert response.choices[0].message.content == "OK"
    chunk = ChatChunk.model_validate({"id": "c", "created": 1, "model": "m",
                                      "choices": [{"index": 2, "delta": {"content": "abc"}}]})
    [part] = canonical.CHAT_CHUNK.parts(chunk)
    assert (part.channel, part.kind) == (2, "delta")
    canonical.CHAT_CHUNK.replace(chunk, part, "xyz")
    assert chunk.choices[0].delta.content == "xyz"
    embed = EmbeddingRequest.model_validate({"model": "e", "input": ["a", "b"]})
    assert [p.label for p in canonical.EMBEDDING_REQUEST.parts(embed)] == ["input[0]", "input[1]"]


def test_anthropic_request_response_and_events() -> None:
    request = {"model": "c", "max_tokens": 10, "system": [{"type": "text", "text": "sys"}], "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "a"},
                                          {"type": "tool_use", "id": "t", "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                      "content": [{"type": "text", "text": "result"}]},
                                     {"type": "tool_result", "tool_use_id": "u", "content": "plain"}]},
    ]}
    assert _found(anthropic.REQUEST, request) == [
        ("system[0].text", "system", "sys", 0, "text"),
        ("messages[0].content", "user", "q", 0, "text"),
        ("messages[1].content[1].text", "assistant", "a", 0, "text"),
        ("messages[1].content[0].thinking", "assistant", "hmm", (0, "thinking"), "text"),
        ("messages[2].content[0].content[0].text", "tool", "result", 0, "text"),
        ("messages[2].content[1].content", "tool", "plain", 0, "text"),
    ]
    assert _upper_all(anthropic.REQUEST, request)["messages"][2]["content"][1]["content"] == "PLAIN"
    message = {"content": [{"type": "text", "text": "hello"}, {"type": "tool_use", "id": "t", "name": "f"}]}
    assert _found(anthropic.RESPONSE, message) == [("content[0].text", "assistant", "hello", 0, "text")]
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}}
    assert _found(anthropic.EVENT, delta) == [("delta.text", "assistant", "hi", 0, "delta")]
    json_delta = {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{"}}
    assert _found(anthropic.EVENT, json_delta) == [("delta.partial_json", "assistant", "{", (0, 1), "delta")]
    assert _found(anthropic.EVENT, {"type": "message_stop"}) == []


def test_responses_api_input_output_and_stream_events() -> None:
    request = {"model": "m", "instructions": "sys", "input": [
        {"role": "user", "content": "plain"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "part"},
                                                        {"type": "input_image", "image_url": "u"}]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "42"},
    ]}
    assert _found(responses.REQUEST, request) == [
        ("instructions", "system", "sys", 0, "text"),
        ("input[0].content", "user", "plain", 0, "text"),
        ("input[1].content[0].text", "user", "part", 0, "text"),
        ("input[3].output", "tool", "42", 0, "text"),
    ]
    assert _found(responses.REQUEST, {"input": "just text"}) == [("input", "user", "just text", 0, "text")]
    output = {"output": [{"type": "reasoning", "summary": []},
                         {"type": "message", "content": [{"type": "output_text", "text": "answer"},
                                                         {"type": "refusal", "refusal": "no"}]}]}
    assert _found(responses.RESPONSE, output) == [("output[1].content[0].text", "assistant", "answer", 1, "text"),
                                                  ("output[1].content[1].refusal", "assistant", "no", 1, "text")]
    delta = {"type": "response.output_text.delta", "output_index": 1, "content_index": 0, "delta": "ans"}
    assert _found(responses.EVENT, delta) == [("delta", "assistant", "ans", 1, "delta")]
    done = {"type": "response.output_text.done", "output_index": 1, "text": "answer"}
    assert _found(responses.EVENT, done) == [("text", "assistant", "answer", 1, "snapshot")]
    completed = {"type": "response.completed", "response": output}
    assert [p.kind for p in responses.EVENT.parts(completed)] == ["snapshot", "snapshot"]
    _upper_all(responses.EVENT, completed)
    assert output["output"][1]["content"][0]["text"] == "ANSWER"  # type: ignore[index]


@pytest.mark.parametrize(("view", "obj", "expected"), [
    (completions.REQUEST, {"prompt": "one"}, [("prompt", "user", "one", 0, "text")]),
    (completions.REQUEST, {"prompt": ["a", "b"]}, [("prompt[0]", "user", "a", 0, "text"),
                                                   ("prompt[1]", "user", "b", 0, "text")]),
    (completions.REQUEST, {"prompt": [1, 2, 3]}, []),
    (completions.RESPONSE, {"choices": [{"index": 0, "text": "done"}]},
     [("choices[0].text", "assistant", "done", 0, "text")]),
    (completions.CHUNK, {"choices": [{"index": 3, "text": "de"}]},
     [("choices[0].text", "assistant", "de", 3, "delta")]),
    (embeddings.REQUEST, {"input": "x"}, [("input", "user", "x", 0, "text")]),
    (embeddings.REQUEST, {"input": [[1, 2]]}, []),
])
def test_completions_and_embeddings(view: TextView, obj: Any, expected: list[Any]) -> None:
    assert _found(view, obj) == expected


def test_text_part_label() -> None:
    assert TextPart(("a", 0, "b"), "user", "t").label == "a[0].b"
