"""Errors inside an OpenAI-compatible stream (no HTTP status of their own), for adapters and passthrough readers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.providers.transport import error_from_status

if TYPE_CHECKING:
    from tollway.errors import TollwayError


def stream_error(provider: str, payload: dict[str, Any]) -> TollwayError:
    """The gateway error for an ``{"error": ...}`` event inside a stream."""
    return error_from_status(provider, _status_of(payload), payload)


def _status_of(payload: dict[str, Any]) -> int:
    """Mid-stream errors carry no HTTP status; infer a sensible one from the error body."""
    error = payload.get("error")
    code = str(error.get("code") or error.get("type") or "") if isinstance(error, dict) else ""
    if "rate" in code or code == "429":
        return 429
    if "invalid" in code or code == "400" or "context" in code:
        return 400
    return 500
