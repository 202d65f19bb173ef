"""``GET /health``: probe every deployment with a minimal call, results cached briefly."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from tollway.errors import TollwayError
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.config.models import Deployment
    from tollway.providers.base import Provider
    from tollway.routing.stats import Health

PROBE_TIMEOUT = 20.0


class HealthProber:
    """Probes ``deployments`` through ``provider`` (the gateway's adapter lookup); ``health`` says who cools down.

    Given what it needs rather than the gateway itself, so the gateway can build it without an import cycle.
    """

    def __init__(self, deployments: list[Deployment], provider: Callable[[Deployment], Provider], health: Health,
                 *, cache_seconds: float = 10.0) -> None:
        self.deployments = [d for d in deployments if not d.is_pattern]  # a wildcard names no model to probe
        self.provider = provider
        self.health = health
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def report(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < self.cache_seconds:
                return self._cached[1]
            results = await asyncio.gather(*(self._probe(d) for d in self.deployments))
            healthy = [r for r in results if r["healthy"]]
            unhealthy = [r for r in results if not r["healthy"]]
            report = {"healthy_endpoints": healthy, "unhealthy_endpoints": unhealthy,
                      "healthy_count": len(healthy), "unhealthy_count": len(unhealthy)}
            self._cached = (time.monotonic(), report)
            return report

    async def _probe(self, deployment: Deployment) -> dict[str, Any]:
        entry: dict[str, Any] = {"model_name": deployment.model_name, "deployment": deployment.id,
                                 "provider": deployment.provider, "model": deployment.litellm_params.model}
        if deployment.litellm_params.api_base:
            entry["api_base"] = deployment.litellm_params.api_base
        provider = self.provider(deployment)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                if deployment.model_info.mode == "embedding":
                    await provider.embed(EmbeddingRequest(model=deployment.model_name, input="ping"))
                else:
                    await provider.chat(ChatRequest.model_validate({
                        "model": deployment.model_name, "messages": [{"role": "user", "content": "ping"}],
                        "max_tokens": 1}))
        except TollwayError as exc:
            entry.update(healthy=False, error=exc.message, error_type=exc.error_type)
        except TimeoutError:
            entry.update(healthy=False, error=f"no answer within {PROBE_TIMEOUT:g}s", error_type="timeout")
        else:
            entry["healthy"] = True
        entry["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        entry["cooling_down"] = self.health.cooling(deployment.id)
        return entry
