"""Legacy ``/v1/completions`` through the official openai SDK."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import MASTER_KEY


@pytest.fixture
def client(start_gateway, openai_upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": [
        {"model_name": "instruct", "litellm_params": {"model": "openai/gpt-3.5-turbo-instruct", "api_key": "k",
                                                      "api_base": openai_upstream.base_url}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_completion(client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.completions.create(model="instruct", prompt="Say this is a test", max_tokens=7, temperature=0)
    assert result.object == "text_completion"
    assert result.choices[0].text == "echo: Say this is a test" and result.choices[0].finish_reason == "stop"
    assert result.usage is not None and result.usage.completion_tokens == 5
    sent = openai_upstream.requests[0]
    assert sent["messages"] == [{"role": "user", "content": "Say this is a test"}] and sent["max_tokens"] == 7


def test_several_prompts_keep_their_order(client) -> None:  # type: ignore[no-untyped-def]
    result = client.completions.create(model="instruct", prompt=["one", "two"])
    assert [(c.index, c.text) for c in result.choices] == [(0, "echo: one"), (1, "echo: two")]
    assert result.usage is not None and result.usage.completion_tokens == 10


def test_stream(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.completions.create(model="instruct", prompt="a b", stream=True,
                                            stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices).strip() == "echo: a b"
    assert chunks[-1].usage is not None and chunks[-1].choices == []


def test_unsupported_parameters(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model="instruct", prompt="x", suffix="y")
    assert info.value.param == "suffix"
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model="instruct", prompt=[1, 2, 3])
    assert info.value.param == "prompt"
    assert client.completions.create(model="instruct", prompt="x", echo=True,
                                     extra_body={"drop_params": True}).choices[0].text == "echo: x"
