"""Vertex AI: URLs, project/location resolution, request reuse and the token cache's rules."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from tollway.config.models import Deployment
from tollway.errors import InternalError
from tollway.providers.base import CallSettings
from tollway.providers.gemini.adapter import GeminiProvider
from tollway.providers.vertex_ai import auth
from tollway.providers.vertex_ai.adapter import VertexAIProvider
from tollway.types.chat import ChatRequest


def vertex(model: str = "vertex_ai/gemini-2.5-flash", **params: Any) -> VertexAIProvider:
    deployment = Deployment(model_name="v", litellm_params={"model": model, **params})
    return VertexAIProvider(deployment, CallSettings())


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VERTEXAI_PROJECT", "VERTEXAI_LOCATION", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("params", "url"), [
    ({"vertex_project": "p", "vertex_location": "us-east5"},
     "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/google/models/"
     "gemini-2.5-flash:generateContent"),
    ({"vertex_ai_project": "p", "vertex_ai_location": "global"},
     "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/"
     "gemini-2.5-flash:generateContent"),
    ({"vertex_project": "p", "aws_region_name": "asia-northeast1", "api_base": "https://proxy.example/v1/"},
     "https://proxy.example/v1/projects/p/locations/asia-northeast1/publishers/google/models/"
     "gemini-2.5-flash:generateContent"),
    ({"vertex_project": "p"},
     "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/"
     "gemini-2.5-flash:generateContent"),
])
async def test_urls(params: dict[str, str], url: str) -> None:
    assert await vertex(**params).url("generateContent") == url


async def test_env_and_full_resource_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "env-proj")
    monkeypatch.setenv("VERTEXAI_LOCATION", "europe-west1")
    assert (await vertex().url("predict")).endswith(
        "/projects/env-proj/locations/europe-west1/publishers/google/models/gemini-2.5-flash:predict")
    full = vertex("vertex_ai/projects/x/locations/y/endpoints/123")
    assert await full.url("generateContent") == (
        "https://europe-west1-aiplatform.googleapis.com/v1/projects/x/locations/y/endpoints/123:generateContent")


async def test_gemini_urls_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = Deployment(model_name="g", litellm_params={"model": "gemini/gemini-2.0-flash"})
    provider = GeminiProvider(deployment, CallSettings())
    assert await provider.url("generateContent") == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent")
    with pytest.raises(InternalError, match="GEMINI_API_KEY"):
        await provider.auth_headers()
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-env")
    assert await provider.auth_headers() == {"x-goog-api-key": "AIza-env"}
    tuned = GeminiProvider(Deployment(model_name="t", litellm_params={
        "model": "gemini/tunedModels/mine", "api_base": "http://h:1/v1alpha"}), CallSettings())
    assert await tuned.url("generateContent") == "http://h:1/v1alpha/tunedModels/mine:generateContent"


async def test_deployment_defaults_and_safety_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    deployment = Deployment(model_name="g", litellm_params={"model": "gemini/gemini-2.0-flash", "temperature": 0.4,
                                                            "safety_settings": safety})
    request = ChatRequest.model_validate({"model": "g", "messages": [{"role": "user", "content": "x"}]})
    upstream = await GeminiProvider(deployment, CallSettings()).build_chat(request, stream=True)
    assert upstream.url.endswith(":streamGenerateContent?alt=sse")
    assert upstream.json["generationConfig"] == {"temperature": 0.4} and upstream.json["safetySettings"] == safety


async def test_missing_project_is_a_config_error(tmp_path: Any) -> None:
    path = tmp_path / "user.json"
    path.write_text(json.dumps({"type": "authorized_user", "client_id": "c", "client_secret": "s",
                                "refresh_token": "r"}))
    with pytest.raises(InternalError, match="vertex_project"):
        await vertex(vertex_credentials=str(path)).url("generateContent")
    auth.reset()


async def test_bad_credentials_are_config_errors_without_the_secret() -> None:
    for raw, needle in [("{not json", "not valid JSON"), ('{"type": "weird"}', "unsupported vertex_credentials type"),
                        ("/nonexistent/sa.json", "could not be read"),
                        ('{"type": "service_account", "private_key": "SECRET"}', "incomplete")]:
        with pytest.raises(InternalError, match=needle) as info:
            await auth.token_source(raw).token()
        assert "SECRET" not in info.value.message
    auth.reset()


def test_sources_are_shared_per_credential() -> None:
    a, b = auth.token_source('{"x": 1}'), auth.token_source('{"x": 1}')
    assert a is b and auth.token_source('{"x": 2}') is not a and auth.token_source(None) is auth.token_source(None)
    auth.reset()
    assert auth.token_source('{"x": 1}') is not a
    auth.reset()


class _Creds:
    def __init__(self, token: str | None, expires_in: float | None) -> None:
        self.token = token
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        self.expiry = None if expires_in is None else now + datetime.timedelta(seconds=expires_in)


@pytest.mark.parametrize(("token", "expires_in", "fresh"), [
    ("t", 3600, True), ("t", 200, False), ("t", -5, False), (None, 3600, False), ("t", None, True),
])
def test_token_freshness_margin(token: str | None, expires_in: float | None, fresh: bool) -> None:
    assert auth._fresh(_Creds(token, expires_in)) is fresh


def test_google_auth_is_imported_only_when_a_token_is_needed() -> None:
    import subprocess
    import sys

    probe = ("import sys, tollway.providers.vertex_ai.adapter, tollway.providers.gemini.adapter; "
             "print(any(m.startswith('google') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
