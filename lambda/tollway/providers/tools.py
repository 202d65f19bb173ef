"""Tool-call arguments: OpenAI sends them as a JSON string; native APIs want the object."""

from __future__ import annotations

import json
from typing import Any

from tollway.errors import InvalidRequestError


def tool_arguments(raw: str | None, *, where: str = "messages") -> dict[str, Any]:
    """The arguments as an object (a non-object JSON value is wrapped as ``{"value": ...}``); a 400 if not JSON."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidRequestError(f"{where}: tool call arguments are not valid JSON", param="messages") from None
    return value if isinstance(value, dict) else {"value": value}
