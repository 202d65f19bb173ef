"""``Gateway``: the per-process runtime built from one config (router, adapters, auth).

Built once, lazily: on Lambda at the first request (so import stays cheap), in
``tollway serve`` at startup (so a bad config stops it before it listens).
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tollway.config import load_config
from tollway.identity import wiring as identity_wiring
from tollway.observability import tracing
from tollway.providers import registry
from tollway.providers.base import CallSettings
from tollway.routing.router import Router

if TYPE_CHECKING:
    from tollway.config.models import Config, Deployment
    from tollway.hooks import CallHooks
    from tollway.metering.dynamo_meter import DynamoMeter
    from tollway.providers.base import Provider

#: where the Lambda package keeps the config when ``TOLLWAY_CONFIG`` is unset
PACKAGED_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


class Gateway:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.meter = _meter(config)
        self.router = Router(config, price=self.meter.catalog.per_token)
        self.settings = CallSettings(
            timeout=config.default_timeout,
            stream_timeout=config.router_settings.stream_timeout,
            drop_params=config.litellm_settings.drop_params,
        )
        self.auth, self.identity = identity_wiring.build(config.general_settings.master_key)
        tracing.configure(config)
        self._providers: dict[str, Provider] = {}
        self.router.models.on_evict.append(self._forget_adapters)
        from tollway.hooks import CallHooks

        #: the seam around every upstream call (guardrails attach here; see ``tollway.hooks``)
        self.hooks: CallHooks = CallHooks()
        from tollway.routing.probe import HealthProber

        self.prober = HealthProber(
            config.model_list, self.provider, self.router.health,
            cache_seconds=float((config.router_settings.model_extra or {}).get("health_check_cache_seconds", 10)),
        )

    @classmethod
    def from_path(cls, path: str | os.PathLike[str] | None) -> Gateway:
        return cls(load_config(path))

    def provider(self, deployment: Deployment, *, drop_params: bool = False) -> Provider:
        """The adapter instance for a deployment (its module imported on first use).

        ``drop_params`` (a request's own ``drop_params: true``) gets an instance whose settings drop
        unsupported parameters even when the config does not.
        """
        drop = drop_params and not self.settings.drop_params
        key = f"{deployment.id}|drop" if drop else deployment.id
        adapter = self._providers.get(key)
        if adapter is None:
            settings = replace(self.settings, drop_params=True) if drop else self.settings
            adapter = registry.load(deployment.provider)(deployment, settings)
            self._providers[key] = adapter
        return adapter


    def _forget_adapters(self, deployments: list[Deployment]) -> None:
        """Drop the adapters of wildcard-made deployments the router no longer caches."""
        for deployment in deployments:
            self._providers.pop(deployment.id, None)
            self._providers.pop(f"{deployment.id}|drop", None)


def _meter(config: Config) -> DynamoMeter:
    """The DynamoDB meter: it uses the store when one is configured (making a local endpoint's
    tables on first use) and otherwise only prices requests."""
    from tollway.metering.dynamo_meter import DynamoMeter

    return DynamoMeter(config)


_lock = threading.Lock()
_default: Gateway | None = None


def config_path() -> str | None:
    explicit = os.environ.get("TOLLWAY_CONFIG")
    if explicit:
        return explicit
    return str(PACKAGED_CONFIG) if PACKAGED_CONFIG.exists() else None


def default_gateway() -> Gateway:
    """The process-wide gateway from ``TOLLWAY_CONFIG`` (or the packaged config)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = Gateway.from_path(config_path())
                _warn_unhonoured(_default.config)
    return _default


def _warn_unhonoured(config: Config) -> None:
    """One log line naming every config key this gateway ignores (``config.unhonoured``)."""
    from tollway.config.unhonoured import warning_line
    from tollway.observability.logging import logger

    if (line := warning_line(config)) is not None:
        logger.warning(line)
