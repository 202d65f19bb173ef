"""A customer's ``allowed_model_region`` (LiteLLM's: "require all user requests to use models in this specific
region"): which deployments may serve its requests.

Only deployments whose region (``Deployment.region``, see ``config.regions``) is the customer's serve them,
fallbacks included: a fallback group without one is skipped. A deployment of unknown region never serves a
restricted customer. When the requested group has none, the customer's ``default_model`` ("if no equivalent model
in the allowed region, default all requests to this model") serves it through its own in-region deployments;
with neither, the request is refused (400, ``no_deployment_in_region``) before anything is reserved or sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway.errors import InvalidRequestError

if TYPE_CHECKING:
    from tollway.api.context import RequestContext
    from tollway.config.models import Deployment

#: ``RequestContext.extra`` key of the region the request's deployments must be in
CONTEXT_KEY = "allowed_model_region"
CODE = "no_deployment_in_region"


def required(ctx: RequestContext) -> str | None:
    """The region the request is restricted to (None: any deployment may serve it)."""
    region = ctx.extra.get(CONTEXT_KEY)
    return region if isinstance(region, str) else None


def serving(group: list[Deployment], region: str | None) -> list[Deployment]:
    """The deployments of ``group`` that may serve a request restricted to ``region`` (None: all)."""
    if region is None:
        return group
    return [d for d in group if d.region == region]


def carried(ctx: RequestContext) -> dict[str, str]:
    """What a call made on behalf of the request (a guardrail's judge) puts in its own ``ctx.extra``, so it stays
    in the request's region."""
    region = required(ctx)
    return {CONTEXT_KEY: region} if region is not None else {}


def refused(model: str, region: str, end_user: str | None, default_model: str | None) -> InvalidRequestError:
    """The 400 for a request whose model (and the customer's default model, if any) has no deployment in
    ``region``."""
    who = f"the end user '{end_user}'" if end_user else "this request"
    default = (f"; neither has its default_model '{default_model}'" if default_model
               else "; it has no default_model to serve it instead" if end_user else "")
    return InvalidRequestError(
        f"The model '{model}' has no deployment in the region '{region}', the only region {who} may be "
        f"served in (allowed_model_region){default}.", param="model", code=CODE)
