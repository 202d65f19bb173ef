"""``litellm_params.extra_headers``, ``extra_body`` and ``organization`` reach the upstream, on the passthrough
path (OpenAI chat to an OpenAI deployment) and the translated one (Anthropic Messages to it), streamed or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import FakeOpenAI
from tests.support.servers import serve_app

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    upstream = FakeOpenAI()
    server = serve_app(upstream.app)
    upstream.base_url = f"{server.url}/v1"  # type: ignore[attr-defined]
    yield upstream
    server.stop()


@pytest.fixture
def gateway(start_gateway, fake, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TEST_EXTRA_TENANT", "tenant-from-env")
    params: dict[str, Any] = {
        "model": "openai/up", "api_base": fake.base_url, "api_key": "k",
        "extra_headers": {"X-Tenant": "os.environ/TEST_EXTRA_TENANT", "X-Trace": "t-1"},
        "extra_body": {"service_tier": "flex", "metadata_tag": {"team": "a"}},
        "organization": "org-123",
    }
    return start_gateway({"model_list": [
        {"model_name": "m", "litellm_params": params},
        {"model_name": "plain", "litellm_params": {"model": "openai/up", "api_base": fake.base_url, "api_key": "k"}},
    ]})


def _check(fake: FakeOpenAI) -> None:
    headers, body = fake.headers[-1], fake.requests[-1]
    assert headers["x-tenant"] == "tenant-from-env" and headers["x-trace"] == "t-1"
    assert headers["openai-organization"] == "org-123"
    assert headers["authorization"] == "Bearer k"
    assert body["service_tier"] == "flex" and body["metadata_tag"] == {"team": "a"}
    assert body["model"] == "up"


def test_passthrough_chat_sends_the_extras(gateway, fake) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    assert client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == "echo: hello"
    _check(fake)
    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).strip() == "echo: hello"
    _check(fake)
    assert fake.requests[-1]["stream"] is True


def test_translated_messages_send_the_extras(gateway, fake) -> None:  # type: ignore[no-untyped-def]
    client = anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
    answer = client.messages.create(model="m", max_tokens=20, messages=MESSAGES)  # type: ignore[arg-type]
    assert answer.content[0].text == "echo: hello"  # type: ignore[union-attr]
    _check(fake)
    assert "messages" in fake.requests[-1] and "max_tokens" in str(fake.requests[-1])


def test_embeddings_send_the_extras(gateway, fake) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    assert len(client.embeddings.create(model="m", input="hi").data) == 1
    _check(fake)


def test_a_deployment_without_extras_sends_none(gateway, fake) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    client.chat.completions.create(model="plain", messages=MESSAGES)
    assert "openai-organization" not in fake.headers[-1] and "x-tenant" not in fake.headers[-1]
    assert "service_tier" not in fake.requests[-1]


def test_anthropic_native_and_translated_send_the_extras(start_gateway) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.anthropic_upstream import FakeAnthropic

    upstream = FakeAnthropic()
    server = serve_app(upstream.app)
    try:
        gateway = start_gateway({"model_list": [{"model_name": "claude", "litellm_params": {
            "model": "anthropic/claude-sonnet-4-5", "api_base": server.url, "api_key": "ak",
            "extra_headers": {"anthropic-beta": "context-1m-2025-08-07", "x-team": "eu"},
            "extra_body": {"service_tier": "standard_only"}}}]})
        native = anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
        native.messages.create(model="claude", max_tokens=20, messages=MESSAGES)  # type: ignore[arg-type]
        translated = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
        translated.chat.completions.create(model="claude", messages=MESSAGES)  # type: ignore[arg-type]
        assert len(upstream.requests) == 2
        for headers, body in zip(upstream.headers, upstream.requests, strict=True):
            assert headers["anthropic-beta"] == "context-1m-2025-08-07" and headers["x-team"] == "eu"
            assert headers["x-api-key"] == "ak" and body["service_tier"] == "standard_only"
    finally:
        server.stop()


def test_a_credential_in_extra_headers_never_shows_in_errors(start_gateway, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.openai_upstream import Scripted

    monkeypatch.setenv("TEST_EXTRA_TOKEN", "tok-very-secret-123")
    gateway = start_gateway({"model_list": [{"model_name": "m", "litellm_params": {
        "model": "openai/up", "api_base": fake.base_url, "api_key": "k",
        "extra_headers": {"X-Gateway-Token": "os.environ/TEST_EXTRA_TOKEN"}}}]})
    fake.queue.append(Scripted(status=400, body={"error": {"message": "rejected token tok-very-secret-123"}}))
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert fake.headers[-1]["x-gateway-token"] == "tok-very-secret-123"
    assert "tok-very-secret-123" not in str(raised.value.body) and "***" in raised.value.message
