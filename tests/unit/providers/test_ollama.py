"""Golden translations for the Ollama adapter: OpenAI request -> /api/chat body, answers -> OpenAI."""

from __future__ import annotations

import base64
import json

import pytest

from tollway.config.models import Deployment
from tollway.errors import InvalidRequestError, UnsupportedParamError, UpstreamError
from tollway.providers.base import CallSettings
from tollway.providers.ollama.adapter import OllamaProvider
from tollway.providers.ollama.response import StreamState, parse_chat
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def provider(model: str = "ollama/llama3.2", *, drop_params: bool = False, **params: object) -> OllamaProvider:
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": model, **params}})
    return OllamaProvider(deployment, CallSettings(drop_params=drop_params))


def request(**fields: object) -> ChatRequest:
    return ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields})


async def test_full_request_golden() -> None:
    req = request(
        messages=[
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "what is it?"},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city":"X"}'}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "sunny"}]},
        ],
        tools=[TOOL], tool_choice="auto", max_tokens=64, temperature=0.1, top_p=0.5, seed=1, stop=["a", "b"],
        frequency_penalty=0.2, response_format={"type": "json_object"}, reasoning_effort="medium", user="u",
    )
    upstream = await provider(num_ctx=4096, keep_alive=-1).build_chat(req, stream=True)
    assert upstream.url == "http://localhost:11434/api/chat" and upstream.headers == {}
    assert upstream.json == {
        "model": "llama3.2",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "what is it?", "images": [PNG]},
            {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": "get_weather", "arguments": {"city": "X"}}}]},
            {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
        ],
        "stream": True,
        "options": {"temperature": 0.1, "top_p": 0.5, "seed": 1, "stop": ["a", "b"], "frequency_penalty": 0.2,
                    "num_predict": 64, "num_ctx": 4096},
        "keep_alive": -1,
        "tools": [TOOL],
        "format": "json",
        "think": True,
    }


async def test_gpt_oss_takes_a_think_level_and_tool_choice_none_hides_tools() -> None:
    upstream = await provider("ollama/gpt-oss:20b").build_chat(
        request(reasoning_effort="minimal", tools=[TOOL], tool_choice="none"), stream=False)
    assert upstream.json["think"] == "low" and "tools" not in upstream.json and upstream.json["stream"] is False


async def test_key_and_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "env-key")
    upstream = await provider(api_base="https://ollama.com/").build_chat(request(), stream=False)
    assert upstream.url == "https://ollama.com/api/chat" and upstream.headers == {"authorization": "Bearer env-key"}


@pytest.mark.parametrize(("fields", "param"), [
    ({"tool_choice": "required", "tools": [TOOL]}, "tool_choice"),
    ({"tool_choice": {"type": "function", "function": {"name": "get_weather"}}, "tools": [TOOL]}, "tool_choice"),
    ({"n": 2}, "n"),
    ({"logprobs": True}, "logprobs"),
    ({"logit_bias": {"1": 2}}, "logit_bias"),
])
async def test_unsupported_unless_dropped(fields: dict[str, object], param: str) -> None:
    with pytest.raises(UnsupportedParamError) as info:
        await provider().build_chat(request(**fields), stream=False)
    assert info.value.param == param
    body = (await provider(drop_params=True).build_chat(request(**fields), stream=False)).json
    assert param not in body


async def test_bad_schema_and_bad_parts() -> None:
    with pytest.raises(InvalidRequestError):
        await provider().build_chat(request(response_format={"type": "json_schema", "json_schema": {"name": "x"}}),
                                    stream=False)
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    with pytest.raises(InvalidRequestError):
        await provider().build_chat(request(messages=[{"role": "user", "content": [audio]}]), stream=False)


def test_parse_chat_golden() -> None:
    answer = parse_chat({
        "model": "llama3.2", "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "", "thinking": "hmm",
                    "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
        "done": True, "done_reason": "stop", "prompt_eval_count": 12, "eval_count": 4,
    }, "llama3.2")
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert choice.message.reasoning_content == "hmm"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.id.startswith("call_") and call.function.name == "f" and json.loads(call.function.arguments) == {"a": 1}
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (12, 4)
    length = parse_chat({"message": {"role": "assistant", "content": "x"}, "done_reason": "length"}, "m")
    assert length.choices[0].finish_reason == "length" and length.usage.total_tokens == 0  # type: ignore[union-attr]
    with pytest.raises(UpstreamError):
        parse_chat({"error": "nope"}, "m")


def test_stream_state() -> None:
    state = StreamState("m")
    chunks = [c for line in (
        {"message": {"role": "assistant", "content": "Hel"}, "done": False},
        {"message": {"role": "assistant", "content": "lo"}, "done": False},
        {"message": {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "f", "arguments": {}}}]}, "done": False},
        {"message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop",
         "prompt_eval_count": 3, "eval_count": 2},
    ) for c in state.feed(line)]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].delta.content for c in chunks[1:3]] == ["Hel", "lo"]
    tool = chunks[3].choices[0].delta.tool_calls[0]  # type: ignore[index]
    assert tool.index == 0 and tool.function.arguments == "{}"  # type: ignore[union-attr]
    assert chunks[4].choices[0].finish_reason == "tool_calls"
    assert chunks[5].choices == [] and chunks[5].usage.total_tokens == 5  # type: ignore[union-attr]
    assert len({c.id for c in chunks}) == 1
    with pytest.raises(UpstreamError, match="boom"):
        StreamState("m").feed({"error": "boom"})


async def test_embed_request_and_response() -> None:
    p = provider("ollama/nomic-embed-text", truncate=False)
    upstream = await p.build_embed(EmbeddingRequest(model="e", input="hello", dimensions=2))
    assert upstream.url.endswith("/api/embed")
    assert upstream.json == {"model": "nomic-embed-text", "input": ["hello"], "dimensions": 2, "truncate": False}
    result = p.parse_embed({"embeddings": [[1.0, 2.0]], "prompt_eval_count": 1}, EmbeddingRequest(model="e", input="x"))
    assert result.data[0].embedding == [1.0, 2.0] and result.usage.total_tokens == 1
    with pytest.raises(InvalidRequestError):
        await p.build_embed(EmbeddingRequest(model="e", input=[1, 2, 3]))
