"""One adapter for every catalog provider: OpenAI's protocol with the provider's quirks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway.providers.catalog import CATALOG
from tollway.providers.openai.adapter import OpenAIProvider

if TYPE_CHECKING:
    from tollway.config.models import Deployment
    from tollway.providers.base import CallSettings


class CompatProvider(OpenAIProvider):
    def __init__(self, deployment: Deployment, settings: CallSettings) -> None:
        super().__init__(deployment, settings)
        self.name = deployment.provider  # type: ignore[misc]
        self.spec = CATALOG[deployment.provider]  # type: ignore[misc]
        self.unsupported_params = self.spec.unsupported  # type: ignore[misc]
