"""Anthropic failures -> ``tollway.errors``.

HTTP errors go through the shared ``transport.error_from_status`` (429 + retry-after, 529
overloaded -> 503, 401/403 -> the gateway's credentials, ...) with two Anthropic-specific
additions: context-limit messages it words its own way, and the ``error`` event that can
arrive in the middle of a stream, which carries an error *type* instead of a status.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tollway.errors import ContextWindowExceededError, InvalidRequestError, TollwayError
from tollway.providers.transport import error_from_status, error_message

if TYPE_CHECKING:
    import httpx

PROVIDER = "anthropic"

_CONTEXT_RE = re.compile(r"prompt is too long|exceed(s|ed)? (the )?context (limit|window)", re.I)

#: Anthropic error ``type`` -> the HTTP status it is documented with
_STATUS_BY_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def from_response(status: int, body: bytes | str | Any, headers: httpx.Headers | dict[str, str] | None) -> TollwayError:
    if status == 402:  # billing trouble is the gateway owner's, not the caller's
        status = 403
    error = error_from_status(PROVIDER, status, body, headers)
    if isinstance(error, InvalidRequestError) and not isinstance(error, ContextWindowExceededError):
        message, _ = error_message(body)
        if _CONTEXT_RE.search(message):
            return ContextWindowExceededError(f"{PROVIDER}: {message}")
    return error


def from_stream_event(payload: dict[str, Any]) -> TollwayError:
    """The ``error`` event of a stream (``{"type": "error", "error": {"type", "message"}}``)."""
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    kind = str(error.get("type") or "api_error")  # type: ignore[union-attr]
    return from_response(_STATUS_BY_TYPE.get(kind, 500), payload, {})
