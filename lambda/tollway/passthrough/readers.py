"""Per-format readers: usage out of a native body or stream, touching only the events that carry it.

A stream reader sees each raw event once. Anthropic names its events on the ``event:`` line, so
only ``message_start``/``message_delta``/``message_stop``/``error`` are parsed; OpenAI's chunks
are parsed only when they mention ``usage`` or ``error``. Everything else is relayed unread.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from tollway.errors import UpstreamError
from tollway.passthrough.answers import NativeEvent
from tollway.passthrough.sse import fields
from tollway.passthrough.wire import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES

if TYPE_CHECKING:
    from tollway.types.chat import Usage

_ANTHROPIC_READ = frozenset({"message_start", "message_delta", "message_stop", "error"})
_EVENT_LINE = re.compile(rb"event: ?([A-Za-z_]+)\r?\n")
_TYPE_KEY = re.compile(rb'^\{\s*"type"\s*:\s*"([A-Za-z_]+)"')
_OPENAI_USAGE = re.compile(rb'"usage"\s*:\s*\{')


def body_usage(fmt: str, data: dict[str, Any]) -> Usage | None:
    """Usage of a complete native answer."""
    raw = data.get("usage")
    if not isinstance(raw, dict):
        return None
    if fmt == ANTHROPIC_MESSAGES:
        from tollway.providers.anthropic.response import to_usage

        return to_usage(raw)
    from tollway.types.chat import Usage

    if fmt == OPENAI_RESPONSES:
        return responses_usage(raw)

    return Usage.model_validate(raw)


#: the list every complete answer of each format carries (an answer without it is not one)
_ANSWER_LIST = {OPENAI_CHAT: "choices", ANTHROPIC_MESSAGES: "content", OPENAI_RESPONSES: "output"}


def is_answer(fmt: str, data: dict[str, Any]) -> bool:
    """Whether a complete native body has its format's shape (its ``choices``/``content``/``output`` list)."""
    return isinstance(data.get(_ANSWER_LIST.get(fmt, "choices")), list)


def event_readable(raw: bytes) -> bool:
    """Whether an event's data is a JSON object (or OpenAI's ``[DONE]``): checked on the first event of a
    stream and on one the upstream cut off, so neither is relayed when it cannot be read."""
    data = fields(raw)[1].strip()
    if data == "[DONE]":
        return True
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:
        return False


def event_type(payload: bytes) -> str | None:
    """The ``type`` of an Anthropic event payload, read from its first key (parsed only if it is not first)."""
    match = _TYPE_KEY.match(payload)
    if match:
        return match.group(1).decode()
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    kind = data.get("type") if isinstance(data, dict) else None
    return str(kind) if kind else None


class AnthropicStream:
    """Reads a Messages API event stream: usage from ``message_start`` and ``message_delta``."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.usage: dict[str, Any] = {}
        self.finished = False

    def read(self, raw: bytes, name: str | None = None) -> NativeEvent:
        if name is None:
            match = _EVENT_LINE.match(raw)
            name = match.group(1).decode() if match else fields(raw)[0]
        if name not in _ANTHROPIC_READ:
            return NativeEvent(raw, name)
        data = _json_object(raw, self.provider, "event")
        if name == "error":
            from tollway.providers.anthropic.errors import from_stream_event

            raise from_stream_event(data)
        if name == "message_stop":
            self.finished = True
            return NativeEvent(raw, name, data=data)
        usage = (data.get("message") or {}).get("usage") if name == "message_start" else data.get("usage")
        if isinstance(usage, dict):
            self.usage.update({k: v for k, v in usage.items() if v is not None})
        from tollway.providers.anthropic.response import to_usage

        return NativeEvent(raw, name, usage=to_usage(self.usage), data=data)

    def end(self) -> None:
        if not self.finished:
            raise UpstreamError(f"{self.provider}: the stream ended before the message was complete")


class OpenAIStream:
    """Reads a Chat Completions stream: usage from the chunk that carries it; ``[DONE]`` ends it."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.finished = False

    def read(self, raw: bytes) -> NativeEvent:
        has_usage = _OPENAI_USAGE.search(raw) is not None
        if not has_usage and b'"error"' not in raw:
            if b"[DONE]" in raw and fields(raw)[1].strip() == "[DONE]":
                self.finished = True
                return NativeEvent(raw, "done")
            return NativeEvent(raw)
        data = _json_object(raw, self.provider, "chunk")
        if "error" in data:
            from tollway.providers.openai.errors import stream_error

            raise stream_error(self.provider, data)
        usage = body_usage(OPENAI_CHAT, data) if has_usage else None
        return NativeEvent(raw, usage=usage, data=data)

    def end(self) -> None:
        return None  # OpenAI-compatible servers differ on ``[DONE]``; a stream without it still counts


def responses_usage(raw: dict[str, Any]) -> Usage:
    """A Responses API ``usage`` block in the canonical shape."""
    from tollway.types.chat import Usage

    def count(value: Any) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    prompt, completion = count(raw.get("input_tokens")), count(raw.get("output_tokens"))
    cached = count((raw.get("input_tokens_details") or {}).get("cached_tokens"))
    reasoning = count((raw.get("output_tokens_details") or {}).get("reasoning_tokens"))
    return Usage.model_validate({
        "prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": count(raw.get("total_tokens")) or prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning}})


class ResponsesStream:
    """Reads a Responses API stream: only ``response.created`` and the terminal events (which carry the
    response object and its usage) and ``error`` are parsed; deltas are relayed unread."""

    _READ = frozenset({"response.created", "response.completed", "response.incomplete", "response.failed", "error"})
    _TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.finished = False

    def read(self, raw: bytes) -> NativeEvent:
        match = _DOTTED_EVENT_LINE.match(raw)
        name = match.group(1).decode() if match else None
        if name is not None and name not in self._READ:
            return NativeEvent(raw, name)
        data = _json_object(raw, self.provider, "event")
        kind = str(data.get("type") or name or "")
        if kind == "error":
            from tollway.providers.openai.errors import stream_error

            raise stream_error(self.provider, {"error": data.get("error") or data})
        response = data.get("response")
        usage = None
        if kind in self._TERMINAL:
            self.finished = True
            raw_usage = response.get("usage") if isinstance(response, dict) else None
            usage = responses_usage(raw_usage) if isinstance(raw_usage, dict) else None
        return NativeEvent(raw, kind, usage=usage, data=data)

    def end(self) -> None:
        if not self.finished:
            raise UpstreamError(f"{self.provider}: the stream ended before the response was complete")


_DOTTED_EVENT_LINE = re.compile(rb"event: ?([A-Za-z_.]+)\r?\n")


def _json_object(raw: bytes, provider: str, what: str) -> dict[str, Any]:
    """An SSE event's data as a JSON object; anything else is the upstream's fault (a failed attempt)."""
    try:
        data = json.loads(fields(raw)[1])
    except ValueError:
        raise UpstreamError(f"{provider}: invalid JSON in the upstream stream") from None
    if not isinstance(data, dict):
        raise UpstreamError(f"{provider}: unexpected {what} shape in the upstream stream")
    return data


def stream_reader(fmt: str, provider: str) -> AnthropicStream | OpenAIStream | ResponsesStream:
    if fmt == OPENAI_RESPONSES:
        return ResponsesStream(provider)
    return AnthropicStream(provider) if fmt == ANTHROPIC_MESSAGES else OpenAIStream(provider)
