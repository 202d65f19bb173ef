"""The server-less SDK: the same adapters, called from Python."""

from __future__ import annotations

import pytest

import tollway
from tests.fakes.openai_upstream import Scripted
from tollway.errors import RateLimitError, UnsupportedParamError


def test_completion_against_an_openai_compatible_upstream(openai_upstream) -> None:  # type: ignore[no-untyped-def]
    answer = tollway.completion("openai/gpt-4o", [{"role": "user", "content": "hi"}],
                                api_base=openai_upstream.base_url, api_key="sk-x", temperature=0.1)
    assert answer.choices[0].message.content == "echo: hi"
    assert openai_upstream.requests[0]["temperature"] == 0.1
    assert openai_upstream.headers[0]["authorization"] == "Bearer sk-x"


def test_sync_stream_and_errors(openai_upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(tollway.completion("openai/gpt-4o", [{"role": "user", "content": "a b"}], stream=True,
                                     api_base=openai_upstream.base_url, api_key="k"))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == "echo: a b"
    assert chunks[-1].usage is not None
    openai_upstream.queue.append(Scripted(status=429, body={"error": {"message": "slow"}}))
    with pytest.raises(RateLimitError):
        tollway.completion("openai/gpt-4o", [{"role": "user", "content": "x"}], api_base=openai_upstream.base_url,
                           api_key="k")


async def test_async_and_embeddings() -> None:
    answer = await tollway.acompletion("mock/m", [{"role": "user", "content": "yo"}])
    assert answer.choices[0].message.content.endswith("You said: yo")
    stream = await tollway.acompletion("mock/m", [{"role": "user", "content": "yo"}], stream=True)
    assert [c async for c in stream][-1].usage is not None
    embedded = await tollway.aembedding("mock/e", "x", dimensions=8)
    assert len(embedded.data[0].embedding) == 8


def test_sync_embedding_and_drop_params() -> None:
    assert len(tollway.embedding("mock/e", ["a", "b"], dimensions=4).data) == 2
    with pytest.raises(UnsupportedParamError):
        tollway.completion("groq/llama", [{"role": "user", "content": "x"}], logit_bias={"1": 1}, api_key="k")
