"""Bedrock embeddings: request bodies per model family, batching, base64 packing, and refusals."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import pytest

from tollway.errors import InvalidRequestError, UnsupportedParamError, UpstreamError
from tollway.providers.bedrock import embeddings
from tollway.types.embeddings import EmbeddingRequest


class _Recorder:
    def __init__(self, answer: Any, tokens: int | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.answer = answer
        self.tokens = tokens
        self.in_flight = 0
        self.max_in_flight = 0

    async def __call__(self, body: dict[str, Any]) -> tuple[Any, int | None]:
        self.bodies.append(body)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0)
        self.in_flight -= 1
        return (self.answer(body) if callable(self.answer) else self.answer), self.tokens


async def _embed(model_id: str, invoke: _Recorder, drop_params: bool = False, options: dict[str, Any] | None = None,
                 **request: Any) -> Any:
    return await embeddings.embed(EmbeddingRequest(model="e", **request), model_id=model_id, options=options or {},
                                  drop_params=drop_params, invoke=invoke)


async def test_titan_v2_calls_concurrently_but_bounded() -> None:
    invoke = _Recorder(lambda body: {"embedding": [1.0, 2.0], "inputTextTokenCount": 2})
    result = await _embed("amazon.titan-embed-text-v2:0", invoke, input=[f"t{i}" for i in range(20)],
                          dimensions=256, options={"normalize": False})
    assert len(result.data) == 20 and result.usage.prompt_tokens == 40
    assert invoke.bodies[0] == {"inputText": "t0", "dimensions": 256, "normalize": False}
    assert 1 < invoke.max_in_flight <= embeddings.CONCURRENCY


async def test_titan_v1_has_no_dimensions() -> None:
    invoke = _Recorder({"embedding": [0.5], "inputTextTokenCount": 1})
    with pytest.raises(UnsupportedParamError):
        await _embed("amazon.titan-embed-text-v1", invoke, input="x", dimensions=8)
    result = await _embed("amazon.titan-embed-text-v1", invoke, input="x")
    assert invoke.bodies[-1] == {"inputText": "x"} and result.data[0].embedding == [0.5]


async def test_cohere_v4_dimensions_and_v3_refusal() -> None:
    invoke = _Recorder({"embeddings": {"float": [[0.1], [0.2]]}}, tokens=4)
    result = await _embed("cohere.embed-v4:0", invoke, input=["a", "b"], dimensions=512)
    assert invoke.bodies[0] == {"texts": ["a", "b"], "input_type": "search_document", "embedding_types": ["float"],
                                "output_dimension": 512}
    assert result.usage.prompt_tokens == 4
    with pytest.raises(UnsupportedParamError):
        await _embed("cohere.embed-english-v3", invoke, input=["a", "b"], dimensions=512)
    await _embed("cohere.embed-english-v3", invoke, input=["a", "b"], dimensions=512, drop_params=True)
    assert "output_dimension" not in invoke.bodies[-1]


async def test_base64_is_float32_little_endian() -> None:
    invoke = _Recorder({"embedding": [0.25, -1.5]})
    result = await _embed("amazon.titan-embed-text-v2:0", invoke, input="x", encoding_format="base64")
    assert struct.unpack("<2f", base64.b64decode(result.data[0].embedding)) == (0.25, -1.5)


async def test_refusals() -> None:
    invoke = _Recorder({"embedding": [0.1]})
    with pytest.raises(InvalidRequestError):
        await _embed("amazon.titan-embed-text-v2:0", invoke, input=[1, 2, 3])
    with pytest.raises(InvalidRequestError):
        await _embed("anthropic.claude-3", invoke, input="x")
    with pytest.raises(UpstreamError):
        await _embed("cohere.embed-english-v3", _Recorder({"embeddings": {"float": []}}), input=["a"])
