"""The models page's data: deployments per group, provider, prices per 1M tokens and router health.

The admin API has no ``/model/info`` yet, so the UI reads the gateway's config, price catalog and router
state directly (read-only, no secrets: API keys and bases are not shown). Cooldowns are what this
instance's router knows (each Lambda instance keeps its own).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.gateway import Gateway

PER_MILLION = 1_000_000


def _per_million(value: float | None) -> float | None:
    return None if value is None else round(value * PER_MILLION, 6)


def models_view(gateway: Gateway) -> dict[str, Any]:
    router, catalog = gateway.router, gateway.meter.catalog
    now = time.monotonic()
    groups = []
    for name, deployments in router.groups.items():
        rows = []
        for deployment in deployments:
            price = catalog.price(deployment)
            stats = router.health.get(deployment.id)
            params = deployment.litellm_params
            rows.append({
                "id": deployment.id, "provider": deployment.provider, "model": deployment.upstream_model,
                "input_per_1m": _per_million(price.input if price else None),
                "output_per_1m": _per_million(price.output if price else None),
                "cached_input_per_1m": _per_million(
                    (price.cache_read if price.cache_read is not None else price.input) if price else None),
                "price_source": price.source if price else None,
                "rpm": params.rpm, "tpm": params.tpm, "weight": params.weight,
                "cooling_down": stats.cooldown_until > now,
                "cooldown_seconds_left": round(max(0.0, stats.cooldown_until - now), 1),
                "in_flight": stats.in_flight,
                "latency_ms": round(stats.latency * 1000, 1) if stats.latency is not None else None,
            })
        groups.append({"model_name": name, "deployments": rows})
    return {"groups": groups, "routing_strategy": gateway.config.router_settings.routing_strategy}
