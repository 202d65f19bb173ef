"""Vertex AI through the running gateway with the official openai SDK: the real google-auth
service-account JWT flow against a fake token endpoint, then Gemini calls on a fake Vertex host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import MASTER_KEY
from tests.fakes.gemini_upstream import FakeGoogle, Scripted
from tests.support.servers import serve_app
from tollway.providers.vertex_ai import auth

USER = [{"role": "user", "content": "hi vertex"}]
PATH = "/v1/projects/proj-1/locations/us-east5/publishers/google/models/gemini-2.5-pro"


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeGoogle, str]]:
    fake = FakeGoogle()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


def service_account(fake: FakeGoogle, url: str, **extra: Any) -> str:
    """A throwaway service-account key whose token_uri is the fake; the fake learns its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake.public_key_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return json.dumps({
        "type": "service_account", "project_id": "proj-from-key", "private_key_id": "k1", "private_key": pem,
        "client_email": "tollway@proj-1.iam.gserviceaccount.com", "client_id": "1", "token_uri": f"{url}/token",
        **extra,
    })


@pytest.fixture
def google(_server: tuple[FakeGoogle, str]) -> Iterator[FakeGoogle]:
    fake, url = _server
    fake.reset()
    fake.token_lifetime = 3600
    fake.base_url = url  # type: ignore[attr-defined]
    auth.reset()
    yield fake
    fake.reset()
    auth.reset()


def _client(start_gateway: Any, **params: Any) -> openai.OpenAI:
    gateway = start_gateway({"model_list": [
        {"model_name": "vertex", "litellm_params": {"model": "vertex_ai/gemini-2.5-pro", **params}},
        {"model_name": "vertex-embed", "litellm_params": {"model": "vertex_ai/text-embedding-005", **params}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


@pytest.fixture
def client(start_gateway: Any, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> openai.OpenAI:
    monkeypatch.setenv("TEST_VERTEX_SA", service_account(google, google.base_url))  # type: ignore[attr-defined]
    return _client(start_gateway, api_base=google.base_url, vertex_project="proj-1",  # type: ignore[attr-defined]
                   vertex_location="us-east5", vertex_credentials="os.environ/TEST_VERTEX_SA")


def test_chat_with_service_account_token(client: openai.OpenAI, google: FakeGoogle) -> None:
    completion = client.chat.completions.create(model="vertex", messages=USER, temperature=0.1)
    assert completion.choices[0].message.content == "echo: hi vertex"
    assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 4
    assert google.paths == [f"{PATH}:generateContent"]
    assert google.headers[0]["authorization"] == "Bearer ya29.fake-token-1"
    assert google.requests[0]["generationConfig"] == {"temperature": 0.1}
    assert len(google.token_requests) == 1  # the fake verified the RS256 assertion before issuing the token
    client.chat.completions.create(model="vertex", messages=USER)
    assert google.headers[1]["authorization"] == "Bearer ya29.fake-token-1"
    assert len(google.token_requests) == 1  # cached until shortly before expiry


def test_token_close_to_expiry_is_refreshed(client: openai.OpenAI, google: FakeGoogle) -> None:
    google.token_lifetime = 60  # inside the refresh margin: each call needs a new one
    client.chat.completions.create(model="vertex", messages=USER)
    client.chat.completions.create(model="vertex", messages=USER)
    assert len(google.token_requests) == 2
    assert google.headers[1]["authorization"] != google.headers[0]["authorization"]


def test_stream_text_and_tool_call(client: openai.OpenAI, google: FakeGoogle) -> None:
    chunks = list(client.chat.completions.create(model="vertex", messages=USER, stream=True,
                                                 stream_options={"include_usage": True}))
    assert google.paths[0] == f"{PATH}:streamGenerateContent?alt=sse"
    assert google.headers[0]["authorization"].startswith("Bearer ya29.fake-token-")
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: hi vertex"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}}
    chunks = list(client.chat.completions.create(model="vertex", messages=USER, stream=True, tools=[tool]))
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].function.name == "lookup" and json.loads(calls[0].function.arguments or "") == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_vertex_errors_are_mapped(client: openai.OpenAI, google: FakeGoogle) -> None:
    google.queue.append(Scripted(429, [{"error": {"code": 429, "message": "Resource exhausted. Please try again later.",
                                                  "status": "RESOURCE_EXHAUSTED"}}]))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="vertex", messages=USER)
    google.queue.append(Scripted(403, {"error": {"code": 403, "message": "Permission 'aiplatform.endpoints.predict' "
                                                 "denied", "status": "PERMISSION_DENIED"}}))
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="vertex", messages=USER)
    assert info.value.status_code == 502 and info.value.code == "upstream_auth_error"


def test_rejected_credentials_are_a_gateway_error(start_gateway: Any, google: FakeGoogle,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url = google.base_url  # type: ignore[attr-defined]
    credentials = service_account(google, url)
    service_account(google, url)  # the fake now trusts a different key: the assertion's signature fails
    monkeypatch.setenv("TEST_VERTEX_SA_BAD", credentials)
    client = _client(start_gateway, api_base=url, vertex_project="p",
                     vertex_credentials="os.environ/TEST_VERTEX_SA_BAD")
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="vertex", messages=USER)
    assert info.value.status_code == 502 and info.value.code == "upstream_auth_error"
    assert "PRIVATE KEY" not in str(info.value.body) and google.paths == []


def test_project_from_the_key_and_credentials_file(start_gateway: Any, google: FakeGoogle, tmp_path: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sa.json"
    path.write_text(service_account(google, google.base_url))  # type: ignore[attr-defined]
    monkeypatch.setenv("VERTEXAI_LOCATION", "europe-west4")
    client = _client(start_gateway, api_base=google.base_url, vertex_credentials=str(path))  # type: ignore[attr-defined]
    client.chat.completions.create(model="vertex", messages=USER)
    assert google.paths[0].startswith("/v1/projects/proj-from-key/locations/europe-west4/publishers/google/models/")


def test_embeddings_via_predict(client: openai.OpenAI, google: FakeGoogle) -> None:
    result = client.embeddings.create(model="vertex-embed", input=["a", "b"], dimensions=2)
    assert google.paths[0] == f"{PATH.replace('gemini-2.5-pro', 'text-embedding-005')}:predict"
    assert google.requests[0] == {"instances": [{"content": "a"}, {"content": "b"}],
                                  "parameters": {"outputDimensionality": 2}}
    assert google.headers[0]["authorization"].startswith("Bearer ya29.")
    assert [d.embedding for d in result.data] == [[0.25, 0.25], [0.5, 0.5]]
    assert result.usage.prompt_tokens == 4


def test_application_default_credentials(start_gateway: Any, google: FakeGoogle, tmp_path: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "adc.json"
    path.write_text(service_account(google, google.base_url))  # type: ignore[attr-defined]
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("VERTEXAI_PROJECT", "adc-proj")
    client = _client(start_gateway, api_base=google.base_url)  # type: ignore[attr-defined]
    assert client.chat.completions.create(model="vertex", messages=USER).choices[0].message.content == "echo: hi vertex"
    assert google.paths[0].startswith("/v1/projects/adc-proj/locations/us-central1/")
    assert google.headers[0]["authorization"] == f"Bearer ya29.fake-token-{google.tokens_issued}"
    assert len(google.token_requests) == 1


async def test_concurrent_requests_share_one_token_refresh(client: openai.OpenAI, google: FakeGoogle) -> None:
    import asyncio

    async_client = openai.AsyncOpenAI(base_url=str(client.base_url), api_key=MASTER_KEY, max_retries=0)
    answers = await asyncio.gather(*(async_client.chat.completions.create(model="vertex", messages=USER)
                                     for _ in range(6)))
    await async_client.close()
    assert all(a.choices[0].message.content == "echo: hi vertex" for a in answers)
    assert len(google.token_requests) == 1
    assert {h["authorization"] for h in google.headers} == {"Bearer ya29.fake-token-" + str(google.tokens_issued)}
