"""Extracting the presented key from a request's headers."""

from __future__ import annotations

from collections.abc import Mapping


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key in ``Authorization: Bearer``, ``x-api-key`` or ``x-tollway-api-key`` (first found)."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    for name in ("x-api-key", "x-tollway-api-key"):
        value = headers.get(name)
        if value and value.strip():
            return value.strip()
    return None
