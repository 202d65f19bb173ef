"""Google API errors (``{"error": {"code", "message", "status", "details"}}``) -> tollway errors.

Google's canonical ``status`` is more precise than the HTTP code, so it decides first:
RESOURCE_EXHAUSTED is a 429 (waiting ``RetryInfo.retryDelay`` when given); an
INVALID_ARGUMENT about token counts is a context-window error; a rejected API key
(which Gemini reports as a 400 INVALID_ARGUMENT) or PERMISSION_DENIED/UNAUTHENTICATED is
the gateway's credential problem (502, never blamed on the caller); FAILED_PRECONDITION
(billing, region) is the deployment's problem too; UNAVAILABLE is 503 and
DEADLINE_EXCEEDED 504. Vertex AI sometimes wraps the body in a one-element list.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from tollway.errors import (
    ContentPolicyError,
    ContextWindowExceededError,
    GatewayTimeoutError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    TollwayError,
    UpstreamError,
)
from tollway.providers.transport import error_from_status, retry_after

if TYPE_CHECKING:
    import httpx

_CONTEXT = re.compile(
    r"input token count|exceeds the maximum number of tokens|token limit|context (length|window)|too many tokens"
    r"|prompt is too long|input is too long", re.I,
)
_BAD_KEY = re.compile(r"api key not valid|api_key_invalid|api key expired", re.I)
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)s\s*$")
_STATUS_OF_CODE = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                   429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


def parse_error(body: bytes | str | Any) -> dict[str, Any]:
    """The ``error`` object of a Google error body ({} when the body is not one)."""
    data: Any = body
    if isinstance(body, (bytes, str)):
        try:
            data = json.loads(body)
        except ValueError:
            return {}
    if isinstance(data, list) and data:
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def retry_delay(error: dict[str, Any]) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail (``"58s"``, ``"1.5s"``)."""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _reasons(error: dict[str, Any]) -> str:
    return " ".join(str(d.get("reason", "")) for d in error.get("details") or [] if isinstance(d, dict))


def map_error(provider: str, status: int, body: bytes | str | Any,
              headers: httpx.Headers | dict[str, str] | None = None) -> TollwayError:
    error = parse_error(body)
    if not error:
        return error_from_status(provider, status, body, headers)
    message = str(error.get("message") or "no error detail")
    code = str(error.get("status") or _STATUS_OF_CODE.get(status, ""))
    text = f"{provider}: {message}"
    if code == "RESOURCE_EXHAUSTED" or status == 429:
        return RateLimitError(text, retry_after=retry_delay(error) or retry_after(headers or {}))
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED") or status in (401, 403) or _BAD_KEY.search(
            f"{message} {_reasons(error)}"):
        return UpstreamError(
            f"{provider} rejected the gateway's credentials for this deployment ({code or status})",
            code="upstream_auth_error", upstream_status=status,
        )
    if code == "UNAVAILABLE" or status == 503:
        return ServiceUnavailableError(text, upstream_status=status)
    if code == "DEADLINE_EXCEEDED" or status == 504:
        return GatewayTimeoutError(text, upstream_status=status)
    if code == "NOT_FOUND" or status == 404:
        return UpstreamError(text, code="upstream_not_found", upstream_status=status)
    if code == "FAILED_PRECONDITION":
        return UpstreamError(text, code="upstream_precondition_failed", upstream_status=status)
    if status >= 500 or code in ("INTERNAL", "UNKNOWN", "ABORTED"):
        return UpstreamError(text, upstream_status=status)
    if _CONTEXT.search(message):
        return ContextWindowExceededError(text)
    if "safety" in message.lower() or "prohibited content" in message.lower():
        return ContentPolicyError(text)
    return InvalidRequestError(text)


def error_from_payload(provider: str, payload: dict[str, Any]) -> TollwayError:
    """An error event inside a stream: no HTTP status, so the body's own code stands in."""
    error = parse_error(payload)
    try:
        status = int(error.get("code") or 500)
    except (TypeError, ValueError):
        status = 500
    return map_error(provider, status, payload)
