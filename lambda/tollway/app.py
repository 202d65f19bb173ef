"""The FastAPI application, shared by ``tollway serve``, Mangum and the Lambda Web Adapter."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from fastapi import FastAPI

from tollway import __version__
from tollway.api import errors, openapi
from tollway.api.cors import CORSMiddleware
from tollway.api.middleware import RequestContextMiddleware
from tollway.api.routes import (
    admin_audit,
    admin_iam,
    admin_keys,
    admin_teams,
    admin_users,
    anthropic,
    budgets,
    completions,
    credentials,
    customers,
    guardrails,
    health,
    metrics,
    models_info,
    openai,
    responses,
    spend,
    tags,
)
from tollway.observability.tracing import TracingMiddleware
from tollway.ui import routes as ui_routes

if TYPE_CHECKING:
    from tollway.gateway import Gateway


def create_app(gateway: Gateway | None = None) -> FastAPI:
    """Build the app. Without ``gateway`` it is built from the environment on first request."""
    app = FastAPI(title="Tollway", version=__version__, docs_url=None, redoc_url=None)
    app.state.gateway = gateway
    errors.install(app)
    app.include_router(openai.router)
    app.include_router(anthropic.router)
    app.include_router(responses.router)
    app.include_router(completions.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(guardrails.router)
    app.include_router(credentials.router)
    app.include_router(spend.router)
    app.include_router(tags.router)
    app.include_router(admin_keys.router)
    app.include_router(admin_teams.router)
    app.include_router(admin_users.router)
    app.include_router(admin_iam.router)
    app.include_router(admin_audit.router)
    app.include_router(models_info.router)
    app.include_router(customers.router)
    app.include_router(budgets.router)
    app.include_router(ui_routes.router)
    app.add_middleware(TracingMiddleware)  # inside the request context: it reads model, usage, cost
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(CORSMiddleware)  # outermost: even the last-resort 500 carries CORS headers
    app.openapi = functools.partial(openapi.describe, app)  # type: ignore[method-assign]  # built on first request
    return app
