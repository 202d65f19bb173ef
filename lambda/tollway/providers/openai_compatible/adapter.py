"""One adapter for every catalog provider: OpenAI's protocol with the provider's quirks.

Chat quirks (renamed and unsupported fields) are applied by ``OpenAIProvider``; this class
adds the embeddings ones (``CompatSpec.embed_rename`` / ``embed_unsupported``), e.g.
Mistral's ``output_dimension`` for OpenAI's ``dimensions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway.errors import UnsupportedParamError
from tollway.providers.catalog import CATALOG
from tollway.providers.openai.adapter import OpenAIProvider

if TYPE_CHECKING:
    from tollway.config.models import Deployment
    from tollway.providers.base import CallSettings
    from tollway.providers.http_provider import UpstreamRequest
    from tollway.types.embeddings import EmbeddingRequest


class CompatProvider(OpenAIProvider):
    def __init__(self, deployment: Deployment, settings: CallSettings) -> None:
        super().__init__(deployment, settings)
        self.name = deployment.provider  # type: ignore[misc]
        self.spec = CATALOG[deployment.provider]  # type: ignore[misc]
        self.unsupported_params = self.spec.unsupported  # type: ignore[misc]

    async def build_embed(self, request: EmbeddingRequest) -> UpstreamRequest:
        upstream = await super().build_embed(request)
        body = upstream.json
        for key in self.spec.embed_unsupported & body.keys():
            if not self.settings.drop_params:
                raise UnsupportedParamError(
                    f"{self.name} embeddings do not support the parameter '{key}' "
                    "(remove it, or set litellm_settings.drop_params: true to drop it)",
                    param=key,
                )
            del body[key]
        for old, new in self.spec.embed_rename.items():
            if old in body:
                body[new] = body.pop(old)
        return upstream
