"""Fake Anthropic, Bedrock and OpenAI upstreams behind one gateway, for the anthropic SDK and raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.bedrock_upstream import FakeBedrock
from tests.support.servers import serve_app

BEDROCK_CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture(scope="session")
def _anthropic_server() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture(scope="session")
def _bedrock_server() -> Iterator[tuple[FakeBedrock, str]]:
    fake = FakeBedrock()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def claude_upstream(_anthropic_server: tuple[FakeAnthropic, str]) -> Iterator[FakeAnthropic]:
    fake, url = _anthropic_server
    fake.reset()
    fake.url = url  # type: ignore[attr-defined]
    yield fake
    fake.reset()


@pytest.fixture
def bedrock_upstream(_bedrock_server: tuple[FakeBedrock, str],
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBedrock]:
    fake, url = _bedrock_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    fake.reset()
    fake.url = url  # type: ignore[attr-defined]
    yield fake
    fake.reset()


@pytest.fixture
def mixed_gateway(start_gateway, claude_upstream, bedrock_upstream, openai_upstream):  # type: ignore[no-untyped-def]
    """``claude`` (Anthropic), ``bedrock-claude`` (Bedrock InvokeModel), ``gpt`` (OpenAI), ``nova`` (Bedrock
    Converse); ``claude-or-gpt`` falls back from Claude to GPT."""
    claude = {"model": "anthropic/claude-sonnet-4-5", "api_base": claude_upstream.url, "api_key": "sk-ant-up"}
    gpt = {"model": "openai/gpt-4o", "api_base": openai_upstream.base_url, "api_key": "sk-up"}
    config: dict[str, Any] = {
        "model_list": [
            {"model_name": "claude", "litellm_params": claude},
            {"model_name": "claude-or-gpt", "litellm_params": claude},
            {"model_name": "bedrock-claude", "litellm_params": {
                "model": f"bedrock/{BEDROCK_CLAUDE}", "api_base": bedrock_upstream.url,
                "aws_region_name": "us-west-2", "anthropic_beta": ["context-1m-2025-08-07"]}},
            {"model_name": "gpt", "litellm_params": gpt},
            {"model_name": "nova", "litellm_params": {
                "model": "bedrock/us.amazon.nova-pro-v1:0", "api_base": bedrock_upstream.url,
                "aws_region_name": "us-west-2"}},
        ],
        "router_settings": {"num_retries": 0, "fallbacks": [{"claude-or-gpt": ["gpt"]}]},
    }
    return start_gateway(config)


@pytest.fixture
def claude_client(mixed_gateway) -> anthropic.Anthropic:  # type: ignore[no-untyped-def]
    return anthropic.Anthropic(base_url=mixed_gateway.url, api_key=MASTER_KEY, max_retries=0)
