"""Azure OpenAI: OpenAI's protocol behind per-deployment URLs and Azure's own auth.

``api_base`` (or ``AZURE_API_BASE`` / ``AZURE_OPENAI_ENDPOINT``) is the resource endpoint
(``https://<resource>.openai.azure.com``) and the model
after ``azure/`` is the *deployment* name. Two URL schemes:

* classic: ``{api_base}/openai/deployments/{deployment}/chat/completions?api-version=...``
  (``api_version`` from ``litellm_params``, else ``AZURE_API_VERSION`` / ``OPENAI_API_VERSION``,
  else ``DEFAULT_API_VERSION``);
* the v1 API, chosen when ``api_base`` ends with ``/openai/v1``: OpenAI's own paths, the
  deployment name in the body's ``model``, no ``api-version``.

Auth, first match wins: ``litellm_params.azure_ad_token`` (a ready Entra ID token); Entra
client credentials (``tenant_id``, ``client_id``, ``client_secret``; token endpoint base
``azure_authority_host``, default Microsoft's; ``azure_scope``, default Cognitive Services);
``api_key`` / ``AZURE_API_KEY`` / ``AZURE_OPENAI_API_KEY`` sent as ``api-key``; then ``AZURE_AD_TOKEN``, or
``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + ``AZURE_CLIENT_SECRET`` from the environment.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from tollway.config import secrets
from tollway.errors import ContentPolicyError, InternalError, TollwayError
from tollway.passthrough.wire import OPENAI_RESPONSES
from tollway.providers.azure.entra import COGNITIVE_SCOPE, DEFAULT_AUTHORITY, ClientCredentials, access_token
from tollway.providers.catalog import CompatSpec
from tollway.providers.openai.adapter import OpenAIProvider
from tollway.providers.sse import SSEEvent
from tollway.providers.transport import error_from_status

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from tollway.passthrough.wire import WireRequest
    from tollway.providers.http_provider import UpstreamRequest
    from tollway.types.chat import ChatChunk, ChatRequest
    from tollway.types.embeddings import EmbeddingRequest

#: the latest GA data-plane inference version of the classic (deployment URL) API
DEFAULT_API_VERSION = "2024-10-21"

#: LiteLLM's variable names first, then the official openai SDK's ``AzureOpenAI`` ones
AZURE = CompatSpec(None, ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"))


class AzureProvider(OpenAIProvider):
    name = "azure"
    spec: ClassVar[CompatSpec] = AZURE
    #: its chat URL is its own (``build_chat``), so requests are translated rather than passed through
    native_formats = frozenset()
    #: the oldest api-version of the preview route that serves the Responses API
    RESPONSES_API_VERSION = "2025-04-01-preview"

    # ------------------------------------------------------------------ URLs

    @property
    def endpoint(self) -> str:
        base = secrets.resolve(self.deployment.litellm_params.api_base)
        base = base or _env("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT")
        if not base:
            raise InternalError(
                f"deployment '{self.deployment.id}' (azure) needs litellm_params.api_base "
                "(https://<resource>.openai.azure.com) or AZURE_API_BASE"
            )
        base = base.rstrip("/")
        return base.removesuffix("/openai") if not base.endswith("/openai/v1") else base

    @property
    def base_url(self) -> str:
        return self.endpoint

    @property
    def is_v1(self) -> bool:
        return self.endpoint.endswith("/openai/v1")

    @property
    def api_version(self) -> str:
        return (secrets.resolve(self.deployment.litellm_params.api_version)
                or _env("AZURE_API_VERSION", "OPENAI_API_VERSION") or DEFAULT_API_VERSION)

    def url(self, operation: str) -> str:
        """The URL of ``operation`` (``chat/completions``, ``embeddings``) for this deployment."""
        if self.is_v1:
            return f"{self.endpoint}/{operation}"
        deployment = quote(self.deployment.upstream_model, safe="")
        return (f"{self.endpoint}/openai/deployments/{deployment}/{operation}"
                f"?api-version={quote(self.api_version, safe='')}")

    # ------------------------------------------------------------------ the Responses API, passed through

    def speaks(self, wire_format: str) -> bool:
        """Azure OpenAI serves the Responses API itself; Chat Completions are translated (deployment URLs)."""
        return wire_format == OPENAI_RESPONSES

    async def build_native(self, request: WireRequest, *, stream: bool) -> UpstreamRequest:
        upstream = await super().build_native(request, stream=stream)  # the body as sent, model = deployment
        if not self.is_v1:  # the preview route takes the deployment in ``model`` and a recent api-version
            version = max(self.api_version, self.RESPONSES_API_VERSION)
            upstream.url = f"{self.endpoint}/openai/responses?api-version={quote(version, safe='')}"
        return upstream

    # ------------------------------------------------------------------ auth

    async def headers(self) -> dict[str, str]:
        extras = self.deployment.litellm_params.model_extra or {}

        async def param(name: str) -> str | None:
            value = extras.get(name)
            return await secrets.aresolve(str(value)) if value is not None else None

        token = await param("azure_ad_token")
        if token:
            return {"authorization": f"Bearer {token.removeprefix('Bearer ')}"}
        creds = await self._client_credentials(param)
        if creds is not None:
            return {"authorization": f"Bearer {await access_token(creds)}"}
        key = await secrets.aresolve(self.deployment.litellm_params.api_key) or _env(*self.spec.key_env)
        if key:
            return {"api-key": key}
        if os.environ.get("AZURE_AD_TOKEN"):
            return {"authorization": f"Bearer {os.environ['AZURE_AD_TOKEN']}"}
        env = [os.environ.get(n) for n in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")]
        if all(env):
            tenant, client, secret = (str(v) for v in env)
            authority = os.environ.get("AZURE_AUTHORITY_HOST") or DEFAULT_AUTHORITY
            creds = ClientCredentials(tenant, client, secret, authority)
            return {"authorization": f"Bearer {await access_token(creds)}"}
        raise InternalError(
            f"no credentials configured for deployment '{self.deployment.id}' (azure): set api_key / AZURE_API_KEY, "
            "azure_ad_token, or tenant_id + client_id + client_secret"
        )

    async def _client_credentials(self, param: Any) -> ClientCredentials | None:
        tenant, client, secret = await param("tenant_id"), await param("client_id"), await param("client_secret")
        if not (tenant and client and secret):
            return None
        authority = (await param("azure_authority_host") or os.environ.get("AZURE_AUTHORITY_HOST")
                     or DEFAULT_AUTHORITY)
        if not authority.startswith(("https://", "http://")):
            authority = f"https://{authority}"
        scope = await param("azure_scope") or COGNITIVE_SCOPE
        return ClientCredentials(tenant, client, secret, authority, scope)

    # ------------------------------------------------------------------ protocol

    async def build_chat(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        upstream = await super().build_chat(request, stream=stream)
        upstream.url = self.url("chat/completions")
        return upstream

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        upstream = await super().build_embed(request)
        upstream.url = self.url("embeddings")
        return upstream

    async def parse_stream(self, events: AsyncIterator[SSEEvent], request: ChatRequest) -> AsyncIterator[ChatChunk]:
        async for chunk in super().parse_stream(_without_filter_annotations(events), request):
            yield chunk

    def map_error(self, status: int, body: bytes, headers: httpx.Headers) -> TollwayError:
        error = error_from_status(self.name, status, body, headers)
        if 400 <= status < 500 and status != 429 and not isinstance(error, ContentPolicyError) and _is_policy(body):
            return ContentPolicyError(error.message)
        return error


def _env(*names: str) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


async def _without_filter_annotations(events: AsyncIterator[SSEEvent]) -> AsyncIterator[SSEEvent]:
    """Drop Azure's content-filter-only events (no choices, no usage, e.g. ``prompt_filter_results``).

    Azure sends them first, with an empty ``id``/``model``/``object``; they carry nothing a
    client of the OpenAI protocol expects.
    """
    async for event in events:
        if event.data != "[DONE]":
            try:
                payload = json.loads(event.data)
            except ValueError:
                payload = None
            if (isinstance(payload, dict) and not payload.get("choices") and not payload.get("usage")
                    and "error" not in payload):
                continue
        yield event


def _is_policy(body: bytes) -> bool:
    """Azure's content filter refusal: ``innererror.code == ResponsibleAIPolicyViolation``."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return False
    inner = error.get("innererror") or error.get("inner_error") or {}
    return error.get("code") == "content_filter" or (
        isinstance(inner, dict) and inner.get("code") == "ResponsibleAIPolicyViolation"
    )
