"""Glue between the admin routes and the identity services.

``admin_call`` authenticates the caller (any role: RBAC is the services' business) and
returns the service with a ``Call``; ``run`` executes a blocking service method in a thread
so DynamoDB round trips never block the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tollway.api.deps import caller
from tollway.errors import InvalidRequestError, ServiceUnavailableError
from tollway.identity.base import Call

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.identity.service import IdentityService

T = TypeVar("T")


async def admin_call(request: Request) -> tuple[IdentityService, Call]:
    gateway, auth, ctx = await caller(request)
    identity = getattr(gateway, "identity", None)
    service: IdentityService | None = await run(lambda: identity.service) if identity is not None else None
    if service is None:
        raise ServiceUnavailableError(
            "The admin API needs a DynamoDB store (set AWS_ENDPOINT_URL_DYNAMODB or run `tollway serve`).",
            code="store_not_configured")
    return service, Call(auth=auth, request_id=ctx.request_id)


async def run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


#: the longest identifier a query parameter may carry (ids, aliases, filters)
MAX_QUERY_TEXT = 256


def query_int(request: Request, name: str, default: int, *, low: int = 1, high: int = 1000) -> int:
    """An integer query parameter in ``low..high``: ASCII digits only (a superscript two is a 400, not a 500)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise InvalidRequestError(f"Invalid value for '{name}': expected an integer from {low} to {high}.",
                                  param=name)
    return int(raw)


def query_flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


def query_text(request: Request, name: str, *, longest: int = MAX_QUERY_TEXT) -> str | None:
    """An optional identifier or filter; longer than ``longest`` is a 400 naming it."""
    value = request.query_params.get(name) or None
    if value is not None and len(value) > longest:
        raise InvalidRequestError(f"Invalid value for '{name}': longer than {longest} characters.", param=name)
    return value


def required_query(request: Request, name: str) -> str:
    value = query_text(request, name)
    if not value:
        raise InvalidRequestError(f"Missing required parameter: '{name}'.", param=name)
    return value
