"""The ASGI application class: Starlette, with eager and lazily imported routers and the OpenAPI document.

``include_router(router)`` adds a module's routes now (the hot path: chat, embeddings, models,
health); ``include_lazy("tollway.api.routes.x", "/x")`` adds a placeholder that imports the module
on the first request under its prefixes (``tollway.api.routing.LazyRoutes``). ``GET /openapi.json``
imports every lazy module and FastAPI, and describes all routes (``tollway.api.openapi``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse

from tollway.api.routing import Endpoint, LazyRoutes, checked

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.api.routing import Router


class TollwayApp(Starlette):
    def __init__(self, *, title: str, version: str) -> None:
        super().__init__()
        self.title = title
        self.version = version
        self.openapi_schema: dict[str, Any] | None = None
        self.router.routes.append(Endpoint("/openapi.json", self._serve_openapi, methods=["GET", "HEAD"],
                                           include_in_schema=False))

    def include_router(self, router: Router) -> None:
        self.router.routes.extend(checked(router.routes))

    def include_lazy(self, module: str, *prefixes: str) -> None:
        """Serve ``module``'s ``router`` under ``prefixes``, importing it on the first request there."""
        self.router.routes.append(LazyRoutes(module, prefixes))

    def openapi(self) -> dict[str, Any]:
        from tollway.api.openapi import describe

        return describe(self)

    async def _serve_openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(self.openapi())
