"""``azure_ai/<model>``: Azure AI Foundry models and serverless API endpoints, OpenAI's chat protocol.

``api_base`` (or ``AZURE_AI_API_BASE``) is the endpoint Azure shows for the deployment:

* a Foundry resource (``https://<resource>.services.ai.azure.com``): the Model Inference API under
  ``/models`` (``/models/chat/completions``), the model after ``azure_ai/`` in the body's ``model``;
* a serverless endpoint (``https://<name>.<region>.models.ai.azure.com``) or any base ending in its
  own path (``.../v1``, ``.../models``): the OpenAI paths appended to it.

``api_version``, when set, is sent as the ``api-version`` query parameter. The key (``api_key`` or
``AZURE_AI_API_KEY``) goes in the ``api-key`` header to ``*.services.ai.azure.com`` and
``*.openai.azure.com`` hosts, as Azure documents for them, and as ``Authorization: Bearer`` elsewhere.
Chat Completions requests pass through (same wire) like every OpenAI-compatible server's.
"""

from __future__ import annotations

import os
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tollway.config import secrets
from tollway.errors import InternalError
from tollway.providers.catalog import CompatSpec
from tollway.providers.openai.adapter import OpenAIProvider

AZURE_AI = CompatSpec(None, ("AZURE_AI_API_KEY",), base_env=("AZURE_AI_API_BASE",))
#: hosts that take the key in ``api-key`` (Foundry resources, Azure OpenAI resources)
_API_KEY_HOSTS = (".services.ai.azure.com", ".openai.azure.com")


class AzureAIProvider(OpenAIProvider):
    name = "azure_ai"
    spec: ClassVar[CompatSpec] = AZURE_AI

    def api_url(self, path: str) -> str:
        parts = urlsplit(self.base_url)
        base_path = parts.path.rstrip("/")
        if (parts.hostname or "").endswith(".services.ai.azure.com") and not base_path.endswith("/models"):
            base_path += "/models"
        query = dict(parse_qsl(parts.query))
        version = secrets.resolve(self.deployment.litellm_params.api_version)
        if version and "api-version" not in query:
            query["api-version"] = version
        return urlunsplit((parts.scheme, parts.netloc, base_path + path, urlencode(query), ""))

    async def headers(self) -> dict[str, str]:
        key = await secrets.aresolve(self.deployment.litellm_params.api_key)
        key = key or next((os.environ[name] for name in self.spec.key_env if os.environ.get(name)), None)
        if not key:
            raise InternalError(f"no API key configured for deployment '{self.deployment.id}' "
                                "(set litellm_params.api_key or AZURE_AI_API_KEY)")
        if (urlsplit(self.base_url).hostname or "").endswith(_API_KEY_HOSTS):
            return {"api-key": key}
        return {"authorization": f"Bearer {key}"}
