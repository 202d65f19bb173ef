"""Shared lookups for route handlers: the gateway runtime and the authenticated caller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.api.context import context_of
from tollway.gateway import default_gateway
from tollway.observability import tracing

#: ``scope["state"]`` key of an ``AuthContext`` the admin UI already established from its session
SESSION_AUTH = "tollway_session_auth"

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.gateway import Gateway


def built_gateway(state: Any) -> Gateway | None:
    """The gateway of an app's ``state``, built from the environment on first use (for middleware, which runs
    before any route asks); None when the config is broken (the route meets the same error and answers it)."""
    gateway = getattr(state, "gateway", None)
    if gateway is None:
        from tollway.errors import ConfigError

        try:
            gateway = state.gateway = default_gateway()
        except ConfigError:
            return None
    return gateway


def gateway_of(request: Request) -> Gateway:
    gateway = getattr(request.app.state, "gateway", None)
    if gateway is None:
        gateway = request.app.state.gateway = default_gateway()
    return gateway


async def caller(request: Request) -> tuple[Gateway, AuthContext, RequestContext]:
    gateway = gateway_of(request)
    ctx = context_of(request)
    preset = request.scope.get("state", {}).get(SESSION_AUTH)  # set in process only, by the admin UI
    ctx.auth = preset if preset is not None else await tracing.authenticated(
        gateway.auth.authenticate(request.headers, request.scope))
    return gateway, ctx.auth, ctx
