"""``/v1/models``: the model names a caller may use, wildcards expanded where the provider can list.

Listed: every configured ``model_name``; for a wildcard entry, the names it serves when its
provider lists models (see ``routing.discovery``), else the pattern itself; every alias not
marked ``hidden``. Each is filtered by the caller's model allowlists as the concrete model.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from tollway.config import wildcards
from tollway.errors import NotFoundError

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.auth.context import AuthContext
    from tollway.config.models import Deployment
    from tollway.gateway import Gateway
    from tollway.routing.discovery import ModelDiscovery

_STARTED = int(time.time())


async def list_cards(request: Request, gateway: Gateway, auth: AuthContext) -> list[dict[str, Any]]:
    """Model cards for every name ``auth`` may use, in config order, each name once."""
    discovery = _discovery(request, gateway)
    models = gateway.router.models
    entries: dict[str, Deployment] = {name: group[0] for name, group in models.exact.items()}
    templates = [(pattern, t) for pattern, group in models.patterns.items() for t in group]
    served = await asyncio.gather(*(discovery.served_names(t) for _, t in templates))  # each ask is bounded
    for (pattern, template), names in zip(templates, served, strict=True):
        for name in names or [pattern]:
            entries.setdefault(name, _as_served(template, pattern, name))
    out = [card(name, d.provider) for name, d in entries.items() if _allows(auth, d, name)]
    for alias in models.visible_aliases():
        target = models.resolve(alias)
        if alias not in entries and target and _allows(auth, target[0]):
            out.append(card(alias, target[0].provider))
    return out


def retrieve_card(gateway: Gateway, auth: AuthContext, model_id: str) -> dict[str, Any]:
    """The card of one name the caller may use (any name the gateway serves); 404 otherwise."""
    models = gateway.router.models
    group = models.resolve(model_id) or models.patterns.get(model_id)  # a listed pattern may be retrieved too
    if not group or not _allows(auth, group[0]):
        raise NotFoundError(f"The model '{model_id}' does not exist.", param="model", code="model_not_found")
    return card(model_id, group[0].provider)


def card(name: str, provider: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": _STARTED, "owned_by": provider}


def _allows(auth: AuthContext, deployment: Deployment, name: str | None = None) -> bool:
    return auth.allows_model(name or deployment.model_name, provider_model=deployment.litellm_params.model,
                             access_groups=tuple(deployment.model_info.access_groups))


def _as_served(template: Deployment, pattern: str, name: str) -> Deployment:
    """``template`` as it would serve ``name`` (for allowlist checks; not cached, not routed to)."""
    captures = wildcards.match(pattern, name)
    if captures is None:
        return template
    model = wildcards.fill(template.litellm_params.model, captures)
    return template.model_copy(update={"litellm_params": template.litellm_params.model_copy(update={"model": model})})


def _discovery(request: Request, gateway: Gateway) -> ModelDiscovery:
    """One discovery (and its cache) per app and gateway."""
    state = request.app.state
    discovery: ModelDiscovery | None = getattr(state, "tollway_model_discovery", None)
    if discovery is None or discovery.adapter_for != gateway.provider:
        from tollway.routing.discovery import ModelDiscovery

        discovery = state.tollway_model_discovery = ModelDiscovery(gateway.provider)
    return discovery
