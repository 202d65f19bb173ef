"""The ASGI application, shared by ``tollway serve``, Mangum and the Lambda Web Adapter.

The hot path's routes (chat completions, embeddings, models, health) are imported with the app;
every other route module is imported on the first request under its path prefixes
(``TollwayApp.include_lazy``), so a Lambda cold start serving chat never loads the admin API, the
UI, the Responses API or FastAPI. A new route module declares ``router = Router()``
(``tollway.api.routing``) and is added below with ``app.include_lazy(module, *prefixes)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway import __version__
from tollway.api import errors
from tollway.api.application import TollwayApp
from tollway.api.cors import CORSMiddleware
from tollway.api.middleware import RequestContextMiddleware
from tollway.api.routes import health, openai
from tollway.observability.tracing import TracingMiddleware

if TYPE_CHECKING:
    from tollway.gateway import Gateway

_ROUTES = "tollway.api.routes"


def create_app(gateway: Gateway | None = None) -> TollwayApp:
    """Build the app. Without ``gateway`` it is built from the environment on first request."""
    app = TollwayApp(title="Tollway", version=__version__)
    app.state.gateway = gateway
    errors.install(app)
    app.include_router(openai.router)
    app.include_lazy(f"{_ROUTES}.anthropic", "/v1/messages", "/messages")
    app.include_lazy(f"{_ROUTES}.responses", "/v1/responses", "/responses")
    app.include_lazy(f"{_ROUTES}.completions", "/v1/completions", "/completions")
    app.include_router(health.router)
    app.include_lazy(f"{_ROUTES}.metrics", "/metrics")
    app.include_lazy(f"{_ROUTES}.guardrails", "/guardrails", "/v1/guardrails")
    app.include_lazy(f"{_ROUTES}.credentials", "/credentials")
    app.include_lazy(f"{_ROUTES}.spend", "/spend")
    app.include_lazy(f"{_ROUTES}.tags", "/spend/tags")  # also under /spend: the first request there loads both
    app.include_lazy(f"{_ROUTES}.spend_global", "/global/spend")
    app.include_lazy(f"{_ROUTES}.admin_keys", "/key")
    app.include_lazy(f"{_ROUTES}.admin_teams", "/team", "/v2/team", "/project")
    app.include_lazy(f"{_ROUTES}.admin_users", "/user", "/v2/user")
    app.include_lazy(f"{_ROUTES}.admin_iam", "/iam")
    app.include_lazy(f"{_ROUTES}.admin_audit", "/audit")
    app.include_lazy(f"{_ROUTES}.models_info", "/model", "/v1/model", "/model_group")
    app.include_lazy(f"{_ROUTES}.customers", "/customer", "/end_user")
    app.include_lazy(f"{_ROUTES}.budgets", "/budget")
    app.include_lazy("tollway.ui.routes", "/ui")
    app.add_middleware(TracingMiddleware)  # inside the request context: it reads model, usage, cost
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(CORSMiddleware)  # outermost: even the last-resort 500 carries CORS headers
    return app
