"""Fixtures for guardrail tests: the fake Presidio and Bedrock ApplyGuardrail servers, shared config pieces."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.bedrock_guardrail_upstream import FakeBedrockGuardrail
from tests.fakes.presidio_upstream import FakePresidio
from tests.support.servers import serve_app
from tests.support.tables import fresh_tables

SECRET_EMAIL = "bob.secret@example.com"
#: a streamed answer: ~40 words of prose, an email in the middle, more prose after it
LONG_REPLY = ("Here is the summary you asked for, written out at some length so that it streams in many small "
              "pieces before anything sensitive appears. ") * 2 + \
             f"For follow-up write to {SECRET_EMAIL} and mention the ticket. " + "Thanks for waiting patiently. " * 4


def mock(name: str, reply: str | None = None, **params: Any) -> dict[str, Any]:
    litellm_params: dict[str, Any] = {"model": f"mock/{name}", **params}
    if reply is not None:
        litellm_params["mock_response"] = reply
    return {"model_name": name, "litellm_params": litellm_params}


def guardrail(name: str, kind: str, mode: str | list[str] = "pre_call", **params: Any) -> dict[str, Any]:
    return {"guardrail_name": name, "litellm_params": {"guardrail": kind, "mode": mode, **params}}


@pytest.fixture(scope="session")
def _presidio_server() -> Iterator[tuple[FakePresidio, str]]:
    fake = FakePresidio()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def presidio(_presidio_server: tuple[FakePresidio, str]) -> Iterator[FakePresidio]:
    fake, url = _presidio_server
    fake.reset()
    fake.url = url  # type: ignore[attr-defined]
    yield fake


@pytest.fixture(scope="session")
def _bedrock_server() -> Iterator[tuple[FakeBedrockGuardrail, str]]:
    fake = FakeBedrockGuardrail()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def bedrock(_bedrock_server: tuple[FakeBedrockGuardrail, str]) -> Iterator[FakeBedrockGuardrail]:
    fake, url = _bedrock_server
    fake.reset()
    fake.url = url  # type: ignore[attr-defined]
    yield fake


@pytest.fixture(scope="module")
def table_prefix(dynamodb_endpoint: str) -> Iterator[str]:
    """A unique ``TOLLWAY_TABLE_PREFIX`` for this module, its tables created."""
    with fresh_tables("g") as prefix:
        yield prefix


@pytest.fixture(scope="module")
def _claude_server() -> Any:
    """A fake Anthropic API for a test module (``url`` set once it listens)."""
    fake = FakeAnthropic()
    server = serve_app(fake.app)
    fake.url = server.url  # type: ignore[attr-defined]
    yield fake
    server.stop()


@pytest.fixture
def claude_upstream(_claude_server: FakeAnthropic) -> Any:
    _claude_server.reset()
    yield _claude_server
    _claude_server.reset()
