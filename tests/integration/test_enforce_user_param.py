"""``general_settings.enforce_user_param``: model API requests without ``user`` are a 400 (LiteLLM's message)."""

from __future__ import annotations

import anthropic
import openai
import pytest

from tests.conftest import MASTER_KEY

CONFIG = {"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}],
          "general_settings": {"enforce_user_param": True}}
MESSAGES = [{"role": "user", "content": "hello"}]


def test_a_request_without_user_is_refused(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(CONFIG)
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert raised.value.param == "user"
    assert "'user' param not passed in. 'enforce_user_param'=True" in raised.value.message
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="m", input="hi")
    assert client.chat.completions.create(model="m", messages=MESSAGES, user="u-1").choices  # type: ignore[arg-type]
    assert client.embeddings.create(model="m", input="hi", user="u-1").data


def test_anthropic_messages_take_metadata_user_id(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway(CONFIG)
    client = anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="m", max_tokens=10, messages=MESSAGES)  # type: ignore[arg-type]
    answer = client.messages.create(model="m", max_tokens=10, messages=MESSAGES,  # type: ignore[arg-type]
                                    metadata={"user_id": "u-1"})
    assert answer.content


def test_off_by_default(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": CONFIG["model_list"]})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    assert client.chat.completions.create(model="m", messages=MESSAGES).choices  # type: ignore[arg-type]
