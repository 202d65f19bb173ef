"""Route declaration on plain Starlette, and route modules imported on their first request.

Every route reads the raw ``Request`` (the gateway parses and validates bodies itself), so the
routes need nothing from FastAPI at run time: ``Router`` offers the decorators route modules use
(``get``, ``post``, ``delete``, ``api_route``) and builds Starlette routes that answer exactly the
methods declared (no implicit ``HEAD``), carrying what the OpenAPI document needs (tags, whether
the route is described). FastAPI is imported only to write that document (``tollway.api.openapi``).

``LazyRoutes`` stands in for a route module that the hot path never needs (admin, UI, Responses,
...): it owns a set of path prefixes, and on the first request under one of them it imports the
module, puts the module's routes in its own place in the app's router, and dispatches the request
again, so 404/405/redirects are exactly what the module's routes give.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, NoMatchFound, Route

if TYPE_CHECKING:
    from starlette.datastructures import URLPath
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import Receive, Scope, Send

Handler = TypeVar("Handler", bound=Callable[..., Awaitable["Response"]])


class Endpoint(Route):
    """A route answering exactly ``methods`` (FastAPI's routes never added ``HEAD`` to ``GET``).

    ``endpoint`` takes the ``Request`` or nothing; path and query parameters are read from the request.
    """

    def __init__(self, path: str, endpoint: Callable[..., Awaitable[Response]], *, methods: Iterable[str],
                 tags: Iterable[str] = (), include_in_schema: bool = True) -> None:
        methods = [method.upper() for method in methods]
        super().__init__(path, _taking_request(endpoint), methods=methods, include_in_schema=include_in_schema)
        self.endpoint = endpoint
        self.methods = set(methods)
        self.tags = list(tags)


def _taking_request(endpoint: Callable[..., Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    parameters = inspect.signature(endpoint).parameters
    if len(parameters) > 1:
        raise TypeError(f"{endpoint.__qualname__}: a route takes the Request only (read parameters from it)")
    if parameters:
        return endpoint

    @functools.wraps(endpoint)
    async def with_request(request: Request) -> Response:
        return await endpoint()

    return with_request


class Router:
    """The routes of one module: ``@router.get(path)``, ``@router.post(path, include_in_schema=False)``..."""

    def __init__(self, *, tags: Iterable[str] = (), include_in_schema: bool = True) -> None:
        self.routes: list[BaseRoute] = []
        self.tags = list(tags)
        self.include_in_schema = include_in_schema

    def api_route(self, path: str, *, methods: Iterable[str],
                  include_in_schema: bool = True) -> Callable[[Handler], Handler]:
        def register(endpoint: Handler) -> Handler:
            self.routes.append(Endpoint(path, endpoint, methods=methods, tags=self.tags,
                                        include_in_schema=include_in_schema and self.include_in_schema))
            return endpoint

        return register

    def get(self, path: str, *, include_in_schema: bool = True) -> Callable[[Handler], Handler]:
        return self.api_route(path, methods=["GET"], include_in_schema=include_in_schema)

    def post(self, path: str, *, include_in_schema: bool = True) -> Callable[[Handler], Handler]:
        return self.api_route(path, methods=["POST"], include_in_schema=include_in_schema)

    def delete(self, path: str, *, include_in_schema: bool = True) -> Callable[[Handler], Handler]:
        return self.api_route(path, methods=["DELETE"], include_in_schema=include_in_schema)

    def include_router(self, other: Router) -> None:
        self.routes.extend(other.routes)


class LazyRoutes(BaseRoute):
    """The routes of ``module`` (its ``router``), imported on the first request under one of ``prefixes``.

    A prefix matches itself and what continues it after a ``/`` (``/key`` matches ``/key`` and
    ``/key/info``, not ``/keys``). Prefixes must not overlap another route's paths.
    """

    def __init__(self, module: str, prefixes: Iterable[str]) -> None:
        self.module = module
        self.prefixes = tuple(prefix.rstrip("/") for prefix in prefixes)
        if not self.prefixes or not all(prefix.startswith("/") for prefix in self.prefixes):
            raise ValueError(f"LazyRoutes({module!r}) needs path prefixes starting with '/'")

    def covers(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and self.covers(get_route_path(scope)):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    def load(self, routes: list[BaseRoute]) -> None:
        """Import the module and put its routes in this placeholder's place in ``routes`` (once)."""
        loaded = checked(importlib.import_module(self.module).router.routes)
        for index, route in enumerate(routes):
            if route is self:
                routes[index:index + 1] = loaded
                return

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        router = scope["router"]
        self.load(router.routes)
        await router.app(scope, receive, send)


def checked(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """``routes`` if every one was declared with ``Router`` (a FastAPI ``APIRoute`` fails outside FastAPI's app)."""
    routes = list(routes)
    for route in routes:
        if not isinstance(route, Endpoint):
            raise TypeError(f"{route!r}: declare routes with tollway.api.routing.Router, not FastAPI's APIRouter")
    return routes


def load_all(routes: list[BaseRoute]) -> None:
    """Import every lazy route module in ``routes`` (the OpenAPI document describes them all)."""
    for placeholder in [route for route in routes if isinstance(route, LazyRoutes)]:
        placeholder.load(routes)
