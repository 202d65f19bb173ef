"""Exception handlers: every error leaves as OpenAI's envelope with its status code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from tollway.api.context import context_of
from tollway.errors import (
    InternalError,
    InvalidRequestError,
    NotFoundError,
    TollwayError,
)
from tollway.observability.logging import logger

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request


def error_response(error: TollwayError, request: Request | None = None) -> JSONResponse:
    """OpenAI's envelope; on Anthropic's paths Anthropic's (``{"type": "error", "error": {...}}``)."""
    payload = error_payload(error, request.url.path if request is not None else "")
    return JSONResponse(payload, status_code=error.status_code, headers=error.headers or None)


def error_payload(error: TollwayError, path: str) -> dict[str, Any]:
    """The error body for a request path: Anthropic's envelope on its paths, OpenAI's everywhere else."""
    if path.rstrip("/").endswith(("/messages", "/messages/count_tokens")):
        from tollway.api.anthropic.stream import error_body

        return error_body(error)
    return error.to_dict()


async def _tollway_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TollwayError)
    context_of(request).error_type = exc.error_type
    return error_response(exc, request)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error: TollwayError
    if exc.status_code == 404:
        error = NotFoundError(f"Unknown route: {request.method} {request.url.path}", code="unknown_route")
    elif exc.status_code == 405:
        error = InvalidRequestError(f"Method {request.method} is not allowed on {request.url.path}.")
        error.status_code = 405
    else:
        error = InvalidRequestError(str(exc.detail))
        error.status_code = exc.status_code
    context_of(request).error_type = error.error_type
    return error_response(error, request)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    ctx = context_of(request)
    ctx.error_type = "internal_error"
    logger.exception("unhandled error", extra={"request_id": ctx.request_id})
    return error_response(InternalError("The gateway hit an unexpected error."), request)


def install(app: Starlette) -> None:
    app.add_exception_handler(TollwayError, _tollway_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
