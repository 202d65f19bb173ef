"""Claude on Vertex AI, same wire: the Messages body to ``:rawPredict`` / ``:streamRawPredict`` with a
google-auth service-account token (the real JWT flow against a fake token endpoint)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.gemini_upstream import FakeGoogle
from tests.integration.providers.test_vertex_ai import service_account
from tests.support.servers import serve_app
from tollway.providers.vertex_ai import auth

MODEL = "claude-sonnet-4-5@20250929"
BASE = f"/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/{MODEL}"


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle()
    server = serve_app(fake.app)
    fake.base_url = server.url  # type: ignore[attr-defined]
    auth.reset()
    yield fake
    auth.reset()
    server.stop()


@pytest.fixture
def client(start_gateway: Any, google: FakeGoogle, claude_upstream: Any,
           monkeypatch: pytest.MonkeyPatch) -> anthropic.Anthropic:
    monkeypatch.setenv("TEST_VERTEX_SA", service_account(google, google.base_url))  # type: ignore[attr-defined]
    gateway = start_gateway({"model_list": [{"model_name": "vertex-claude", "litellm_params": {
        "model": f"vertex_ai/{MODEL}", "api_base": claude_upstream.url, "vertex_project": "proj-1",
        "vertex_location": "us-east5", "vertex_credentials": "os.environ/TEST_VERTEX_SA"}}]})
    return anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)


@pytest.mark.parametrize("stream", [False, True])
def test_vertex_claude_gets_the_messages_body(client: anthropic.Anthropic, claude_upstream: Any,
                                              stream: bool) -> None:
    body: dict[str, Any] = {"max_tokens": 64, "messages": [{"role": "user", "content": "hi vertex"}],
                            "thinking": {"type": "enabled", "budget_tokens": 1024}}
    beta = {"anthropic-beta": "interleaved-thinking-2025-05-14"}
    if stream:
        with client.messages.stream(model="vertex-claude", **body, extra_headers=beta,
                                                  extra_body={"top_k": 4}) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(model="vertex-claude", **body, extra_headers=beta,
                                                  extra_body={"top_k": 4})
    assert message.content[0].type == "thinking" and message.content[0].signature
    assert message.content[1].text == "echo: hi vertex" and message.model == MODEL
    method = "streamRawPredict" if stream else "rawPredict"
    assert claude_upstream.paths == [f"{BASE}:{method}"]
    sent = claude_upstream.requests[0]
    expected = {**body, "top_k": 4, "anthropic_version": "vertex-2023-10-16", **({"stream": True} if stream else {})}
    assert sent == expected, json.dumps(sent)
    headers = claude_upstream.headers[0]
    assert headers["authorization"] == "Bearer ya29.fake-token-1"
    assert headers["anthropic-beta"] == beta["anthropic-beta"]
