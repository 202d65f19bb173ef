"""A deployment's own additions to every upstream request (LiteLLM's ``litellm_params`` names).

- ``extra_headers``: headers sent with each call (values may be secret references);
- ``organization``: OpenAI's ``OpenAI-Organization`` header;
- ``extra_body``: top-level fields merged into each JSON body.

They are applied last, over what the adapter built, on the translated and the passthrough path
alike, so a deployment can set what its upstream needs that no adapter knows about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.config import secrets
from tollway.config.unhonoured import UPSTREAM_EXTRA_NAMES

if TYPE_CHECKING:
    from tollway.config.models import Deployment

def configured(deployment: Deployment) -> bool:
    """Whether ``deployment`` sets any of ``UPSTREAM_EXTRA_NAMES`` (most do not, and pay nothing)."""
    extras = deployment.litellm_params.model_extra or {}
    return any(extras.get(name) for name in UPSTREAM_EXTRA_NAMES)


async def headers(deployment: Deployment) -> dict[str, str]:
    """The headers ``deployment`` adds, secret references resolved."""
    extras = deployment.litellm_params.model_extra or {}
    out: dict[str, str] = {}
    for name, value in (extras.get("extra_headers") or {}).items():
        resolved = await secrets.aresolve(str(value))
        if resolved is not None:
            out[str(name)] = resolved
    organization = extras.get("organization")
    if organization:
        resolved = await secrets.aresolve(str(organization))
        if resolved:
            out["OpenAI-Organization"] = resolved
    return out


def body(deployment: Deployment, built: dict[str, Any]) -> dict[str, Any]:
    """``built`` with ``extra_body``'s fields merged in (a new dict; ``built`` is left as it was)."""
    extra = (deployment.litellm_params.model_extra or {}).get("extra_body")
    return {**built, **extra} if isinstance(extra, dict) and extra else built
