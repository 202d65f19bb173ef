"""A deployment's call defaults (``litellm_params.max_tokens`` and the like) fill only what the request left
unset: the two names of the output limit are one setting, so a default under one name never joins a limit the
request (or a budget clamp) set under the other. Through the running app with the official openai SDK."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import MASTER_KEY


@pytest.fixture
def client(start_gateway, openai_upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    params = {"api_base": openai_upstream.base_url, "api_key": "sk-upstream", "temperature": 0.3}
    gateway = start_gateway({"model_list": [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "max_tokens": 1000, **params}},
        {"model_name": "gpt-new", "litellm_params": {"model": "openai/gpt-4o", "max_completion_tokens": 900,
                                                     **params}},
        {"model_name": "llama", "litellm_params": {"model": "groq/llama-3.3-70b-versatile", "max_tokens": 1000,
                                                   **params}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


@pytest.mark.parametrize(("model", "sent_as"), [
    ("gpt", "max_completion_tokens"),  # passthrough: the body as the client sent it
    ("gpt-new", "max_tokens"),
])
def test_the_requests_limit_is_not_joined_by_a_default_under_the_other_name(
        client: openai.OpenAI, openai_upstream, model: str, sent_as: str) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}],
                                   **{sent_as: 20})  # type: ignore[call-overload]
    sent = openai_upstream.requests[0]
    limits = {k: v for k, v in sent.items() if k in ("max_tokens", "max_completion_tokens")}
    assert limits == {sent_as: 20}
    assert sent["temperature"] == 0.3  # the other defaults still apply


def test_a_translated_request_keeps_its_own_limit(client: openai.OpenAI, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "hi"}],
                                   max_completion_tokens=20)
    sent = openai_upstream.requests[0]
    assert sent["max_tokens"] == 20 and "max_completion_tokens" not in sent


def test_the_default_applies_when_the_request_sets_no_limit(client: openai.OpenAI, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="gpt-new", messages=[{"role": "user", "content": "hi"}])
    sent = openai_upstream.requests[0]
    assert sent["max_completion_tokens"] == 900 and "max_tokens" not in sent
