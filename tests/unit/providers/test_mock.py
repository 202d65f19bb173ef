"""The offline mock provider: deterministic, realistic usage, tools, streaming, embeddings."""

from __future__ import annotations

import base64
import math
import struct

from tollway.config.models import Deployment
from tollway.providers.base import CallSettings
from tollway.providers.mock.adapter import MockProvider
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest


def provider(**params: object) -> MockProvider:
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": "mock/m", **params}})
    return MockProvider(deployment, CallSettings())


def request(**fields: object) -> ChatRequest:
    return ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hello world"}],
                                       **fields})


async def test_deterministic_reply_and_usage() -> None:
    first, second = await provider().chat(request()), await provider().chat(request())
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.choices[0].message.content == "This is a mock response from Tollway. You said: hello world"
    usage = first.usage
    assert usage is not None and usage.prompt_tokens == 3 + 3 + 2
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_fixed_response_n_and_length_limit() -> None:
    answer = await provider(mock_response="one two three four five").chat(request(n=2, max_tokens=2))
    assert [c.message.content for c in answer.choices] == ["one two", "one two"]
    assert {c.finish_reason for c in answer.choices} == {"length"}


async def test_tool_round_trip() -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    assert (await provider().chat(request(tools=tools))).choices[0].message.tool_calls is None  # not named
    first = await provider().chat(request(tools=tools, messages=[{"role": "user", "content": "please lookup x"}]))
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert first.choices[0].finish_reason == "tool_calls" and call.function.name == "lookup"
    follow = request(tools=tools, messages=[
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "42"},
    ])
    second = await provider().chat(follow)
    assert second.choices[0].message.content == "Mock answer using the tool result: 42"
    none = await provider().chat(request(tools=tools, tool_choice="none"))
    assert none.choices[0].message.tool_calls is None


async def test_stream_matches_the_whole_answer() -> None:
    chunks = [c async for c in provider().chat_stream(request())]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "This is a mock response from Tollway. You said: hello world"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-2].choices[0].finish_reason == "stop"


async def test_embeddings_are_unit_vectors_and_base64() -> None:
    result = await provider().embed(EmbeddingRequest(model="m", input=["a", "b"], dimensions=8))
    vectors = [d.embedding for d in result.data]
    assert all(len(v) == 8 for v in vectors) and vectors[0] != vectors[1]
    assert math.isclose(sum(x * x for x in vectors[0]), 1.0, rel_tol=1e-9)  # type: ignore[union-attr]
    encoded = await provider().embed(EmbeddingRequest(model="m", input="a", dimensions=8, encoding_format="base64"))
    decoded = struct.unpack("<8f", base64.b64decode(encoded.data[0].embedding))  # type: ignore[arg-type]
    assert all(math.isclose(x, y, rel_tol=1e-6) for x, y in zip(decoded, vectors[0], strict=True))  # type: ignore[arg-type]
