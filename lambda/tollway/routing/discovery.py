"""What a wildcard entry serves, asked of its provider: OpenAI-compatible ``GET {api_base}/models``.

Used by ``/v1/models`` to list the concrete names a wildcard (``model_name: "openai/*"``) serves.
Providers that cannot list (Anthropic, Bedrock, ``model: "*"``, ...) yield nothing, and the
configured entry is listed instead. Answers are cached per entry (failures briefly, so a down
upstream is not asked on every listing) and each ask is bounded by ``LIST_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from tollway.config import wildcards
from tollway.errors import TollwayError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.config.models import Deployment
    from tollway.providers.base import Provider

LIST_TIMEOUT = 5.0
CACHE_SECONDS = 300.0
FAILURE_CACHE_SECONDS = 30.0


class ModelDiscovery:
    def __init__(self, adapter_for: Callable[[Deployment], Provider], *, clock: Callable[[], float] = time.monotonic,
                 timeout: float = LIST_TIMEOUT) -> None:
        self.adapter_for = adapter_for
        self.timeout = timeout
        self._clock = clock
        self._cache: dict[str, tuple[float, list[str]]] = {}

    async def served_names(self, template: Deployment) -> list[str]:
        """The names a client may request that ``template`` (a wildcard entry) serves; [] if unknown."""
        ids = await self._upstream_ids(template)
        names: list[str] = []
        for model_id in ids:
            captures = wildcards.match(_upstream_pattern(template), model_id)
            if captures is not None and len(captures) == template.model_name.count("*"):
                names.append(_fill_name(template.model_name, captures))
        return list(dict.fromkeys(names))

    async def _upstream_ids(self, template: Deployment) -> list[str]:
        if template.litellm_params.model == "*" or template.litellm_params.model.count("*") != 1:
            return []
        cached = self._cache.get(template.id)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        ids = await self._ask(template)
        ttl = CACHE_SECONDS if ids is not None else FAILURE_CACHE_SECONDS
        self._cache[template.id] = (self._clock() + ttl, ids or [])
        return ids or []

    async def _ask(self, template: Deployment) -> list[str] | None:
        import httpx

        from tollway.providers.openai.adapter import OpenAIProvider
        from tollway.providers.openai_compatible.adapter import CompatProvider
        from tollway.providers.transport import http_client, timeout

        adapter = self.adapter_for(template)
        if not isinstance(adapter, OpenAIProvider) or type(adapter) not in (OpenAIProvider, CompatProvider):
            return None  # Azure and Hugging Face subclass OpenAI's adapter but do not list models this way
        try:
            url, headers = f"{adapter.base_url}/models", await adapter.headers()
            async with asyncio.timeout(self.timeout):
                response = await http_client().get(url, headers=headers, timeout=timeout(self.timeout))
            data: Any = response.json() if response.status_code == 200 else None
        except (TollwayError, TimeoutError, httpx.HTTPError, ValueError):
            return None  # a listing is best effort: the configured entry is listed instead
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            return None
        return [str(item["id"]) for item in data["data"] if isinstance(item, dict) and item.get("id")]


def _upstream_pattern(template: Deployment) -> str:
    """The upstream model id pattern of ``template`` (its model without the provider prefix)."""
    model = template.litellm_params.model
    prefix, sep, rest = model.partition("/")
    return rest if sep and prefix == template.provider else model


def _fill_name(model_name: str, captures: tuple[str, ...]) -> str:
    parts = model_name.split("*")
    return parts[0] + "".join(c + rest for c, rest in zip(captures, parts[1:], strict=True))
