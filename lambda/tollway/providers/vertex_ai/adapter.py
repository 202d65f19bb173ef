"""Vertex AI (``vertex_ai/<model>``): Gemini models on Google Cloud, authorised by OAuth.

Same content format as AI Studio (the Gemini modules do the translation); what differs is
where and how: ``https://{location}-aiplatform.googleapis.com/v1/projects/{project}/
locations/{location}/publishers/google/models/{model}:generateContent`` (location
``global`` uses ``aiplatform.googleapis.com``; ``api_base`` replaces the host) with a
Bearer token from google-auth. Project and location come from ``litellm_params``
(``vertex_project``/``vertex_location``, also ``vertex_ai_project``/``vertex_ai_location``;
``aws_region_name`` as a location too), then ``VERTEXAI_PROJECT``/``VERTEXAI_LOCATION``,
then the credential's own project. Embeddings use ``:predict``.

Claude on Vertex (``vertex_ai/claude-*``) speaks the Messages API natively: the client's body
(without ``model``, with ``anthropic_version: vertex-2023-10-16``) goes to
``publishers/anthropic/models/{model}:rawPredict`` (``:streamRawPredict`` for streams), the
``anthropic-beta`` header forwarded, and the answer comes back as Anthropic sent it.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from tollway.config import secrets
from tollway.errors import InternalError, UpstreamError
from tollway.passthrough.wire import ANTHROPIC_MESSAGES
from tollway.providers.gemini import embeddings
from tollway.providers.gemini.adapter import GeminiProvider
from tollway.providers.http_provider import UpstreamRequest
from tollway.providers.vertex_ai import auth

if TYPE_CHECKING:
    from tollway.passthrough.wire import WireRequest
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

DEFAULT_LOCATION = "us-central1"
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
#: instances per ``:predict`` call (Gemini embedding models take one, text-embedding models up to 250)
BATCH_SIZE = 250
CONCURRENCY = 8


class VertexAIProvider(GeminiProvider):
    name = "vertex_ai"
    native_formats = frozenset({ANTHROPIC_MESSAGES})

    @property
    def is_claude(self) -> bool:
        return "claude" in self.deployment.upstream_model

    def speaks(self, wire_format: str) -> bool:
        return super().speaks(wire_format) and self.is_claude

    async def build_native(self, request: WireRequest, *, stream: bool) -> UpstreamRequest:
        body = {k: v for k, v in request.body.items() if k != "model"}
        body["anthropic_version"] = VERTEX_ANTHROPIC_VERSION
        headers = await self.auth_headers()
        if request.headers.get("anthropic-beta"):
            headers["anthropic-beta"] = request.headers["anthropic-beta"]
        return UpstreamRequest(await self.url("streamRawPredict" if stream else "rawPredict"), body, headers)

    def _setting(self, *names: str) -> str | None:
        extras = self.deployment.litellm_params.model_extra or {}
        for name in names:
            if extras.get(name):
                return str(secrets.resolve(str(extras[name])))
        return None

    @property
    def location(self) -> str:
        return (self._setting("vertex_location", "vertex_ai_location") or self.deployment.litellm_params.aws_region_name
                or os.environ.get("VERTEXAI_LOCATION") or DEFAULT_LOCATION)

    async def _source(self) -> auth.TokenSource:
        extras = self.deployment.litellm_params.model_extra or {}
        raw = extras.get("vertex_credentials")
        resolved = await secrets.aresolve(str(raw)) if raw else None
        if raw and not resolved:
            raise InternalError(
                f"vertex_ai: vertex_credentials for deployment '{self.deployment.id}' resolved to nothing")
        return auth.token_source(resolved)

    async def project(self) -> str:
        project = self._setting("vertex_project", "vertex_ai_project") or os.environ.get("VERTEXAI_PROJECT")
        if project:
            return project
        source = await self._source()
        await source.load()
        if not source.project:
            raise InternalError(f"deployment '{self.deployment.id}' (vertex_ai) needs litellm_params.vertex_project")
        return source.project

    async def auth_headers(self) -> dict[str, str]:
        token = await (await self._source()).token()
        return {"authorization": f"Bearer {token}"}

    async def url(self, method: str) -> str:
        location = self.location
        base = secrets.resolve(self.deployment.litellm_params.api_base)
        if not base:
            host = "aiplatform.googleapis.com" if location == "global" else f"{location}-aiplatform.googleapis.com"
            base = f"https://{host}"
        base = base.rstrip("/")
        if not base.endswith(("/v1", "/v1beta1")):
            base += "/v1"
        model = self.deployment.upstream_model
        if model.startswith("projects/"):
            return f"{base}/{model}:{method}"
        publisher = "anthropic" if self.is_claude else "google"
        path = model if "/" in model else f"publishers/{publisher}/models/{model}"
        return f"{base}/projects/{await self.project()}/locations/{location}/{path}:{method}"

    # ------------------------------------------------------------------ embeddings (:predict)

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        texts = embeddings.texts_of(request, self.name)
        model = self.deployment.upstream_model
        size = 1 if "gemini-embedding" in model else BATCH_SIZE
        headers = await self.auth_headers()
        url = await self.url("predict")
        parameters: dict[str, Any] = {"outputDimensionality": request.dimensions} if request.dimensions else {}
        limit = asyncio.Semaphore(CONCURRENCY)

        async def call(batch: list[str]) -> Any:
            body: dict[str, Any] = {"instances": [{"content": text} for text in batch]}
            if parameters:
                body["parameters"] = parameters
            async with limit:
                return await self._send_json(UpstreamRequest(url, body, headers))

        answers = await asyncio.gather(*(call(texts[i:i + size]) for i in range(0, len(texts), size)))
        vectors: list[list[float]] = []
        tokens = 0
        try:
            for answer in answers:
                for prediction in answer["predictions"]:
                    vectors.append([float(x) for x in prediction["embeddings"]["values"]])
                    tokens += int((prediction["embeddings"].get("statistics") or {}).get("token_count", 0))
        except (KeyError, TypeError, ValueError):
            raise UpstreamError(f"{self.name}: unexpected embeddings shape from the upstream") from None
        if len(vectors) != len(texts):
            raise UpstreamError(f"{self.name}: the upstream returned {len(vectors)} embeddings for {len(texts)} inputs")
        return embeddings.build_response(vectors, request, model, prompt_tokens=tokens or None)
