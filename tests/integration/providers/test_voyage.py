"""``voyage/...`` embeddings through the running app and the official openai SDK, against a fake Voyage
API on loopback: Voyage's parameter names, deployment settings, usage and price, errors."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.voyage_upstream import FakeVoyage, Scripted
from tests.support.servers import serve_app


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeVoyage, str]]:
    fake = FakeVoyage()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeVoyage, str]) -> Iterator[FakeVoyage]:
    fake, _ = _server
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway, _server, monkeypatch) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    _, url = _server
    monkeypatch.setenv("VOYAGE_API_KEY", "pa-secret")
    gateway = start_gateway({"model_list": [
        {"model_name": "voyage", "litellm_params": {"model": "voyage/voyage-3.5", "api_base": f"{url}/v1"}},
        {"model_name": "voyage-query", "litellm_params": {"model": "voyage/voyage-3-large", "api_base": f"{url}/v1",
                                                          "input_type": "query", "truncation": False}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_float_embeddings_usage_and_price(client, upstream) -> None:  # type: ignore[no-untyped-def]
    raw = client.embeddings.with_raw_response.create(model="voyage", input=["a b c", "d"], dimensions=8,
                                                     encoding_format="float")
    result = raw.parse()
    assert [d.index for d in result.data] == [0, 1] and len(result.data[0].embedding) == 8
    assert result.usage.prompt_tokens == 4 and result.usage.total_tokens == 4
    sent = upstream.requests[0]
    assert sent == {"model": "voyage-3.5", "input": ["a b c", "d"], "output_dimension": 8}
    assert upstream.headers[0]["authorization"] == "Bearer pa-secret"
    assert float(raw.headers["x-tollway-response-cost"]) == pytest.approx(4 * 6e-08)  # voyage/voyage-3.5


def test_sdk_default_base64_and_deployment_settings(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="voyage-query", input="where is it")
    assert result.data[0].embedding == pytest.approx([0.25, 0.26, 0.27, 0.28])  # decoded by the SDK
    sent = upstream.requests[0]
    assert sent["encoding_format"] == "base64" and sent["input_type"] == "query" and sent["truncation"] is False


def test_chat_and_token_ids_are_refused(client, upstream) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as chat:
        client.chat.completions.create(model="voyage", messages=[{"role": "user", "content": "x"}])
    assert "embeddings only" in chat.value.message
    with pytest.raises(openai.BadRequestError) as ids:
        client.embeddings.create(model="voyage", input=[[1, 2, 3]])
    assert ids.value.param == "input" and upstream.requests == []


def test_errors_map(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(429, "Rate limit exceeded", {"retry-after": "3"}))
    with pytest.raises(openai.RateLimitError) as limited:
        client.embeddings.create(model="voyage", input="x")
    assert limited.value.response.headers["retry-after"] == "3"
    upstream.queue.append(Scripted(401, "Provided API key is invalid."))
    with pytest.raises(openai.APIStatusError) as auth:
        client.embeddings.create(model="voyage", input="x")
    assert auth.value.status_code == 502 and auth.value.code == "upstream_auth_error"
