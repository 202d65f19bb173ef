"""The process's pooled async HTTP client, one per event loop, and upstream error mapping.

Mangum reuses one loop across invocations and uvicorn runs one loop, so in practice
there is a single pool; keying by loop keeps tests that start several loops correct.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import os
import re
import time
import weakref
from typing import Any

import httpx

from tollway.errors import (
    ContentPolicyError,
    ContextWindowExceededError,
    GatewayTimeoutError,
    InvalidRequestError,
    RateLimitError,
    RequestTooLargeError,
    ServiceUnavailableError,
    TollwayError,
    UpstreamError,
)
from tollway.observability import tracing

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()

CONNECT_TIMEOUT = 10.0
#: the most an upstream may send: a JSON body, one SSE event, a whole stream (bytes; 502 beyond)
MAX_RESPONSE_BYTES = int(os.environ.get("TOLLWAY_MAX_RESPONSE_BYTES", str(32 * 1024 * 1024)))
MAX_EVENT_BYTES = int(os.environ.get("TOLLWAY_MAX_SSE_EVENT_BYTES", str(8 * 1024 * 1024)))
MAX_STREAM_BYTES = int(os.environ.get("TOLLWAY_MAX_STREAM_BYTES", str(64 * 1024 * 1024)))
_LIMITS = httpx.Limits(max_connections=512, max_keepalive_connections=128, keepalive_expiry=30)


def http_client() -> httpx.AsyncClient:
    """The pooled client for the running loop (created on first use)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(limits=_LIMITS, timeout=httpx.Timeout(600.0, connect=CONNECT_TIMEOUT),
                                   event_hooks={"request": [tracing.inject_traceparent]})
        _clients[loop] = client
    return client


async def aclose_clients() -> None:
    loop = asyncio.get_running_loop()
    client = _clients.pop(loop, None)
    if client is not None:
        await client.aclose()


def timeout(read: float) -> httpx.Timeout:
    return httpx.Timeout(read, connect=min(CONNECT_TIMEOUT, read))


_CONTEXT_RE = re.compile(
    r"context length|context window|maximum context|too many tokens|prompt is too long|input is too long"
    r"|reduce the length|exceeds the (model's )?max",
    re.I,
)
_POLICY_RE = re.compile(r"content (management )?policy|content filter|safety|blocked", re.I)


def error_message(body: bytes | str | Any) -> tuple[str, str | None]:
    """(message, code) from the common upstream error bodies."""
    data: Any = body
    if isinstance(body, (bytes, str)):
        try:
            data = json.loads(body)
        except ValueError:
            text = body.decode(errors="replace") if isinstance(body, bytes) else body
            return text.strip()[:500] or "no error detail", None
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            message = err.get("message") or err.get("detail") or data.get("message") or json.dumps(err)[:500]
            code = err.get("code")
            return str(message), str(code) if code is not None else None
        if isinstance(err, str):
            return err, None
        for key in ("message", "detail", "Message"):
            if key in data:
                return str(data[key]), None
    return str(data)[:500], None


def retry_after(headers: httpx.Headers | dict[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (delta seconds or an HTTP date).

    Anything else (``soon``, a malformed date, NaN, a negative or absurd number) is ignored:
    a hint we cannot read is no hint, never an error.
    """
    ms = _finite(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return seconds
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # RFC 9110 dates are GMT; a date without a zone is read as such
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return max(0.0, parsed.timestamp() - time.time())


def _finite(text: str | None) -> float | None:
    """A non-negative finite number of seconds, or None."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value < 1e9 else None


class ResponseTooLarge(UpstreamError):
    """The upstream sent more than a configured cap (``what`` names it); 502."""

    def __init__(self, provider: str, what: str, cap: int) -> None:
        super().__init__(f"{provider}: the upstream's {what} exceeds the gateway's cap of {cap} bytes",
                         code="upstream_response_too_large")


async def read_capped(response: httpx.Response, provider: str, cap: int = 0) -> bytes:
    """The response body, read chunk by chunk and refused as soon as it passes ``cap``."""
    cap = cap or MAX_RESPONSE_BYTES
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ResponseTooLarge(provider, "response body", cap)
    parts: list[bytes] = []
    size = 0
    async for part in response.aiter_bytes():
        size += len(part)
        if size > cap:
            raise ResponseTooLarge(provider, "response body", cap)
        parts.append(part)
    return b"".join(parts)


def error_from_status(
    provider: str, status: int, body: bytes | str | Any, headers: httpx.Headers | dict[str, str] | None = None
) -> TollwayError:
    """Map an upstream HTTP failure to the gateway's error, keeping the caller's faults 4xx."""
    headers = headers or {}
    message, code = error_message(body)
    text = f"{provider}: {message}"
    if status in (401, 403):
        return UpstreamError(
            f"{provider} rejected the gateway's credentials for this deployment (HTTP {status})",
            code="upstream_auth_error", upstream_status=status,
        )
    if status == 404:
        return UpstreamError(f"{provider}: {message}", code="upstream_not_found", upstream_status=status)
    if status == 429:
        return RateLimitError(text, retry_after=retry_after(headers))
    if status == 413:
        return RequestTooLargeError(text)
    if status == 408:
        return GatewayTimeoutError(text, upstream_status=status)
    if status in (503, 529):
        return ServiceUnavailableError(text, upstream_status=status)
    if status == 504:
        return GatewayTimeoutError(text, upstream_status=status)
    if status >= 500:
        return UpstreamError(text, upstream_status=status)
    # the remaining 4xx: the request itself was refused
    if code == "context_length_exceeded" or _CONTEXT_RE.search(message):
        return ContextWindowExceededError(text)
    if code in ("content_filter", "content_policy_violation") or (code and "safety" in code):
        return ContentPolicyError(text)
    if _POLICY_RE.search(message) and "polic" in message.lower():
        return ContentPolicyError(text)
    return InvalidRequestError(text, code=code if isinstance(code, str) and code.isidentifier() else None)


def error_from_transport(provider: str, exc: httpx.HTTPError, read_timeout: float) -> TollwayError:
    if isinstance(exc, httpx.ConnectTimeout):
        return GatewayTimeoutError(f"{provider}: timed out connecting to the upstream")
    if isinstance(exc, httpx.TimeoutException):
        return GatewayTimeoutError(f"{provider}: no response from the upstream within {read_timeout:g}s")
    if isinstance(exc, httpx.ConnectError):
        return UpstreamError(f"{provider}: could not connect to the upstream", code="upstream_unreachable")
    return UpstreamError(f"{provider}: the upstream connection failed ({type(exc).__name__})")
