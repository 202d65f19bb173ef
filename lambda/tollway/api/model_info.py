"""``/model/info`` and ``/model_group/info``: the deployments and groups a caller may use, as LiteLLM shows them.

A deployment is ``{model_name, litellm_params, model_info}``: ``litellm_params`` as configured minus every
secret (API keys, AWS and Azure credentials, auth headers), ``model_info`` with the deployment id, the
provider, the catalog's token limits and prices (after per-deployment overrides) and the OpenAI parameters
the provider's adapter honours. A group merges its deployments: every provider, the largest limits and
prices, summed ``tpm``/``rpm``. Only what the caller's model allowlists admit is listed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext
    from tollway.config.models import Deployment
    from tollway.gateway import Gateway

#: ``litellm_params`` names that hold a secret (or a credential file): never shown
_SECRET_NAME = re.compile(r"(api[-_]?key|secret|password|credential|token$|access[-_]key|private[-_]key|"
                          r"authorization|cookie|signature)", re.IGNORECASE)
_PRICE_NAMES = frozenset({"input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
                          "cache_creation_input_token_cost", "output_cost_per_reasoning_token"})
_HEADER_FIELDS = ("extra_headers", "headers")
#: request fields that are not parameters a client tunes
_NOT_PARAMS = frozenset({"model", "messages", "metadata"})


def public_params(deployment: Deployment) -> dict[str, Any]:
    """The deployment's ``litellm_params`` with secrets removed (auth headers included)."""
    params = deployment.litellm_params.model_dump(exclude_none=True)
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name in _HEADER_FIELDS and isinstance(value, dict):
            out[name] = {h: v for h, v in value.items() if not _SECRET_NAME.search(h)}
        elif name in _PRICE_NAMES or not _SECRET_NAME.search(name):
            out[name] = value
    return out


def supported_params(provider: str) -> list[str]:
    """The chat parameters ``provider``'s adapter honours (OpenAI's names); read from the adapter class and
    the catalog, never by building an adapter (that may need credentials)."""
    from tollway.providers import registry
    from tollway.providers.catalog import CATALOG
    from tollway.types.chat import ChatRequest

    if provider in CATALOG:
        unsupported = CATALOG[provider].unsupported
    elif provider in registry.PROVIDERS:
        try:
            unsupported = registry.load(provider).unsupported_params
        except ImportError:  # an optional dependency missing: the parameters are not known here
            return []
    else:  # ``model: "*"``: each request names its provider
        return []
    return sorted(n for n in ChatRequest.model_fields if n not in _NOT_PARAMS and n not in unsupported)


def deployment_info(gateway: Gateway, deployment: Deployment) -> dict[str, Any]:
    """One deployment as LiteLLM's ``/model/info`` lists it."""
    price = None if deployment.provider == "*" else gateway.meter.catalog.price(deployment)  # "*": per request
    extra = {k: v for k, v in (deployment.model_info.model_extra or {}).items() if not _SECRET_NAME.search(k)}
    info: dict[str, Any] = {
        **extra,
        "id": deployment.id, "db_model": False,
        "key": deployment.litellm_params.model if deployment.provider == "*" else deployment.upstream_model,
        "litellm_provider": deployment.provider, "mode": price.mode if price else deployment.model_info.mode,
        "max_tokens": price.max_output_tokens if price else deployment.model_info.max_output_tokens,
        "max_input_tokens": price.max_input_tokens if price else deployment.model_info.max_input_tokens,
        "max_output_tokens": price.max_output_tokens if price else deployment.model_info.max_output_tokens,
        "input_cost_per_token": price.input if price else None,
        "output_cost_per_token": price.output if price else None,
        "cache_read_input_token_cost": price.cache_read if price else None,
        "cache_creation_input_token_cost": price.cache_write if price else None,
        "access_groups": list(deployment.model_info.access_groups),
        "supported_openai_params": supported_params(deployment.provider),
        "tpm": deployment.litellm_params.tpm, "rpm": deployment.litellm_params.rpm,
    }
    return {"model_name": deployment.model_name, "litellm_params": public_params(deployment), "model_info": info}


def _deployments(gateway: Gateway, auth: AuthContext) -> list[Deployment]:
    models = gateway.router.models
    groups = [*models.exact.values(), *models.patterns.values()]
    return [d for group in groups for d in group
            if auth.allows_model(d.model_name, provider_model=d.litellm_params.model,
                                 access_groups=tuple(d.model_info.access_groups))]


def list_deployments(gateway: Gateway, auth: AuthContext, model_id: str | None = None) -> list[dict[str, Any]]:
    """Every deployment the caller may use (``model_id``: only that deployment, by ``model_info.id``)."""
    return [deployment_info(gateway, d) for d in _deployments(gateway, auth) if model_id in (None, d.id)]


def list_groups(gateway: Gateway, auth: AuthContext, group: str | None = None) -> list[dict[str, Any]]:
    """Every model group the caller may use (``group``: only that one), LiteLLM's ``/model_group/info`` rows."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for deployment in _deployments(gateway, auth):
        if group in (None, deployment.model_name):
            by_name.setdefault(deployment.model_name, []).append(deployment_info(gateway, deployment))
    return [_merge(name, rows) for name, rows in by_name.items()]


def _merge(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    infos = [r["model_info"] for r in rows]

    def largest(field: str) -> Any:
        values = [i[field] for i in infos if i.get(field) is not None]
        return max(values) if values else None

    def total(field: str) -> int | None:
        values = [i[field] for i in infos if i.get(field) is not None]
        return sum(values) if values else None

    params = sorted({p for i in infos for p in i["supported_openai_params"]})
    return {
        "model_group": name, "providers": sorted({i["litellm_provider"] for i in infos}),
        "max_input_tokens": largest("max_input_tokens"), "max_output_tokens": largest("max_output_tokens"),
        "input_cost_per_token": largest("input_cost_per_token"),
        "output_cost_per_token": largest("output_cost_per_token"),
        "mode": next((i["mode"] for i in infos if i.get("mode")), "chat"),
        "tpm": total("tpm"), "rpm": total("rpm"),
        "supports_function_calling": "tools" in params, "supports_parallel_function_calling":
            "parallel_tool_calls" in params, "supports_vision": None,
        "supports_response_schema": "response_format" in params, "supports_reasoning": "reasoning_effort" in params,
        "supported_openai_params": params, "configurable_clientside_auth_params": None,
        "deployment_ids": [i["id"] for i in infos],
    }
