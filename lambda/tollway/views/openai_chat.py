"""OpenAI Chat Completions: request, response and stream chunk, as JSON dicts or as the canonical models.

The canonical ``ChatRequest``/``ChatResponse``/``ChatChunk`` follow these shapes field for field, so the
same views read both (``get`` and ``set_at`` use keys on dicts and attributes on models).

Reasoning is not in OpenAI's own Chat Completions shapes; OpenAI-compatible servers send it as
``reasoning_content`` (DeepSeek, vLLM, Tollway's canonical answer) or ``reasoning`` (newer vLLM, OpenRouter),
on messages and on stream deltas. Anthropic's signed blocks ride along as ``thinking_blocks`` (as LiteLLM and
Tollway's translation return them): their text is signed, and so is the reasoning field that repeats it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tollway.views.base import Reasoning, TextPart, View, clamp_field, content_parts, get, json_parts, listed

_TEXT = frozenset({"text"})
#: the message and delta fields reasoning text comes in
_REASONING = ("reasoning_content", "reasoning")


class ChatRequestView(View):
    """``messages[].content`` (a string or ``text`` parts) of every role (``tool`` results included), and the
    strings inside the arguments of the assistant's ``tool_calls`` (and legacy ``function_call``) and its
    reasoning."""

    name = "openai.chat.request"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        for i, message in enumerate(listed(get(obj, "messages"))):
            role = str(get(message, "role") or "user")
            yield from content_parts(get(message, "content"), ("messages", i, "content"), role, _TEXT)
            if role == "assistant":  # only the assistant's turns carry calls and reasoning
                yield from _call_parts(message, ("messages", i), role)
                yield from _reasoning_parts(message, ("messages", i), 0)

    def message_count(self, obj: Any) -> int:
        return len(listed(get(obj, "messages")))

    def clamp_output(self, obj: Any, cap: int) -> bool:
        return clamp_field(obj, ("max_completion_tokens", "max_tokens"), cap, default_name="max_tokens")


class ChatResponseView(View):
    """Each choice's ``message.content`` and ``message.refusal``, the strings inside its tool calls'
    arguments (the channel is the choice index) and its reasoning."""

    name = "openai.chat.response"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        for i, choice in enumerate(listed(get(obj, "choices"))):
            channel = _index(choice, i)
            message = get(choice, "message")
            for field in ("content", "refusal"):
                text = get(message, field)
                if isinstance(text, str):
                    yield TextPart(("choices", i, "message", field), "assistant", text, channel)
            yield from _call_parts(message, ("choices", i, "message"), "assistant", channel=channel)
            yield from _reasoning_parts(message, ("choices", i, "message"), channel)


class ChatChunkView(View):
    """Each choice's ``delta.content`` and ``delta.refusal`` in one stream chunk, the pieces of its tool
    calls' arguments (raw JSON, each tool call on a channel of its own: ``(choice, tool call index)``) and of
    its reasoning (``Reasoning(choice, field)``)."""

    name = "openai.chat.chunk"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        for i, choice in enumerate(listed(get(obj, "choices"))):
            channel = _index(choice, i)
            delta = get(choice, "delta")
            for field in ("content", "refusal"):
                text = get(delta, field)
                if isinstance(text, str) and text:
                    yield TextPart(("choices", i, "delta", field), "assistant", text, channel, "delta")
            for field, text in _reasoning_of(delta):
                if isinstance(text, str) and text:
                    yield TextPart(("choices", i, "delta", field), "assistant", text, Reasoning(channel, field),
                                   "delta")
            for j, call in enumerate(listed(get(delta, "tool_calls"))):
                piece = get(get(call, "function"), "arguments")
                if isinstance(piece, str) and piece:
                    yield TextPart(("choices", i, "delta", "tool_calls", j, "function", "arguments"), "assistant",
                                   piece, (channel, _index(call, j)), "delta", "json")


def _call_parts(message: Any, path: tuple[str | int, ...], role: str, *, channel: int = 0) -> Iterator[TextPart]:
    """The strings inside a message's ``tool_calls[].function.arguments`` and ``function_call.arguments``."""
    for j, call in enumerate(listed(get(message, "tool_calls"))):
        arguments = get(get(call, "function"), "arguments")
        yield from json_parts(arguments, (*path, "tool_calls", j, "function", "arguments"), role, channel=channel)
    legacy = _optional(message, "function_call")
    if legacy is not None:
        yield from json_parts(get(legacy, "arguments"), (*path, "function_call", "arguments"), role, channel=channel)


def _reasoning_of(holder: Any) -> list[tuple[str, Any]]:
    """The reasoning fields of a message or delta and their values; cheap when it has none (every chunk of
    an answer without reasoning asks)."""
    if isinstance(holder, dict):
        if "reasoning_content" not in holder and "reasoning" not in holder:
            return []
        return [(field, holder.get(field)) for field in _REASONING]
    extra = getattr(holder, "__pydantic_extra__", None)
    if getattr(holder, "reasoning_content", None) is None and not (extra and "reasoning" in extra):
        return []  # the canonical models declare ``reasoning_content``; ``reasoning`` is an extension
    return [(field, _optional(holder, field)) for field in _REASONING]


def _optional(holder: Any, name: str) -> Any:
    """``get`` for a field a model may not declare (an extension kept among its extras), without the cost of
    a missing attribute on a pydantic model (an exception raised and caught)."""
    if isinstance(holder, dict):
        return holder.get(name)
    extra = getattr(holder, "__pydantic_extra__", None)
    if extra and name in extra:
        return extra[name]
    fields = getattr(type(holder), "__pydantic_fields__", None)
    return getattr(holder, name, None) if fields is None or name in fields else None


def _reasoning_parts(message: Any, path: tuple[str | int, ...], index: int) -> Iterator[TextPart]:
    """A message's ``reasoning_content``/``reasoning`` and the ``thinking`` of its ``thinking_blocks`` (signed).
    A reasoning field next to thinking blocks repeats their text: it is signed too (rewriting one copy would
    leave the other), and read only when it differs from the blocks' text."""
    blocks = [(j, get(block, "thinking")) for j, block in enumerate(listed(_optional(message, "thinking_blocks")))
              if get(block, "type") == "thinking" and isinstance(get(block, "thinking"), str)]
    signed = bool(blocks)
    repeated = "".join(text for _, text in blocks) if signed else None
    for field, text in _reasoning_of(message):
        if isinstance(text, str) and text and text != repeated:
            yield TextPart((*path, field), "assistant", text, Reasoning(index, field), signed=signed)
    for j, text in blocks:
        if text:
            yield TextPart((*path, "thinking_blocks", j, "thinking"), "assistant", text,
                           Reasoning(index, "thinking_blocks"), signed=True)


def _index(choice: Any, position: int) -> int:
    index = get(choice, "index")
    return index if isinstance(index, int) else position


REQUEST = ChatRequestView()
RESPONSE = ChatResponseView()
CHUNK = ChatChunkView()
