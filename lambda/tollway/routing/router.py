"""``Router``: which deployment of a model group serves a call.

``simple-shuffle``: a weighted random pick by ``weight``, else by ``rpm``/``tpm``, else even.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, TypeVar

from tollway.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tollway.api.context import RequestContext
    from tollway.config.models import Config, Deployment

T = TypeVar("T")


class Router:
    def __init__(self, config: Config, *, rng: random.Random | None = None) -> None:
        self.groups = config.groups()
        self.strategy = config.router_settings.routing_strategy
        self._rng = rng or random.Random()

    def group(self, model: str) -> list[Deployment]:
        deployments = self.groups.get(model)
        if not deployments:
            raise NotFoundError(
                f"The model '{model}' does not exist or is not served by this gateway.",
                param="model", code="model_not_found",
            )
        return deployments

    async def run(
        self, group: list[Deployment], ctx: RequestContext, attempt: Callable[[Deployment], Awaitable[T]]
    ) -> tuple[T, Deployment]:
        """Call ``attempt`` on a deployment of ``group`` and return its result and the deployment used.

        Retries, fallbacks and cooldowns belong here (the pipeline never sees them).
        """
        deployment = self.pick(group)
        ctx.deployment, ctx.provider = deployment.id, deployment.provider
        return await attempt(deployment), deployment

    def pick(self, deployments: list[Deployment]) -> Deployment:
        if len(deployments) == 1:
            return deployments[0]
        weights = [_weight(d) for d in deployments]
        if not any(weights):
            return self._rng.choice(deployments)
        return self._rng.choices(deployments, weights=weights, k=1)[0]


def _weight(deployment: Deployment) -> float:
    params = deployment.litellm_params
    if params.weight is not None:
        return params.weight
    return float(params.rpm or params.tpm or 0)
