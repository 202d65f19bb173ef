"""What a native attempt returns: the upstream's body or stream events, as received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.types.chat import Usage


@dataclass
class NativeResponse:
    """A complete answer in the request's own format: ``content`` is the upstream's body byte for byte;
    ``data`` is it parsed (for usage and for hooks that read text)."""

    format: str
    content: bytes
    data: dict[str, Any]
    usage: Usage | None
    media_type: str = "application/json"


@dataclass(slots=True)
class NativeEvent:
    """One server-sent event of a native stream: ``raw`` is relayed as is (framing included).

    ``usage`` is set on the events that carry usage (cumulative so far); ``name`` is the SSE
    event name (Anthropic's streams name each event; OpenAI's do not, and ``done`` marks their
    ``[DONE]`` sentinel); ``data`` is the parsed
    payload when a reader needed it, else None (the stream is not re-parsed per chunk).
    """

    raw: bytes
    name: str | None = None
    usage: Usage | None = None
    data: dict[str, Any] | None = None
