"""Anthropic Messages: request (``system`` and ``messages``), response ``content`` and stream events.

``thinking`` blocks are read on a ``Reasoning`` channel and are ``signed``: their ``signature`` covers the text,
and a block sent back changed is refused (a 400), so guardrails check them but never rewrite them.
``redacted_thinking`` blocks hold no readable text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tollway.views.base import Reasoning, TextPart, View, clamp_field, content_parts, get, json_parts, listed

_TEXT = frozenset({"text"})
#: the channel of thinking text (joined across a message's thinking blocks, as text is across text blocks)
THINKING = Reasoning(0, "thinking")


class MessagesRequestView(View):
    """``system``, text blocks of every message, the text of ``tool_result`` blocks (role ``tool``), the
    strings inside the ``input`` of ``tool_use`` blocks, and the assistant's ``thinking`` (signed)."""

    name = "anthropic.messages.request"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        yield from content_parts(get(obj, "system"), ("system",), "system", _TEXT)
        for i, message in enumerate(listed(get(obj, "messages"))):
            role = str(get(message, "role") or "user")
            content = get(message, "content")
            yield from content_parts(content, ("messages", i, "content"), role, _TEXT)
            for j, block in enumerate(listed(content)):
                kind = get(block, "type")
                if kind == "tool_result":
                    yield from content_parts(get(block, "content"), ("messages", i, "content", j, "content"),
                                             "tool", _TEXT)
                elif kind == "tool_use":
                    yield from json_parts(get(block, "input"), ("messages", i, "content", j, "input"), role)
                elif kind == "thinking":
                    yield from _thinking(block, ("messages", i, "content", j), role)

    def message_count(self, obj: Any) -> int:
        return len(listed(get(obj, "messages")))

    def clamp_output(self, obj: Any, cap: int) -> bool:
        return clamp_field(obj, ("max_tokens",), cap, default_name="max_tokens")


class CountTokensRequestView(MessagesRequestView):
    """A ``count_tokens`` body: read like a message, but it has no output cap to clamp."""

    name = "anthropic.messages.count_tokens"

    def clamp_output(self, obj: Any, cap: int) -> bool:
        return False


class MessageResponseView(View):
    """Text blocks, the strings inside the ``input`` of ``tool_use`` blocks, and ``thinking`` (signed)."""

    name = "anthropic.messages.response"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        yield from content_parts(get(obj, "content"), ("content",), "assistant", _TEXT)
        for j, block in enumerate(listed(get(obj, "content"))):
            if get(block, "type") == "tool_use":
                yield from json_parts(get(block, "input"), ("content", j, "input"), "assistant")
            elif get(block, "type") == "thinking":
                yield from _thinking(block, ("content", j), "assistant")


class MessageEventView(View):
    """``text_delta`` of ``content_block_delta`` events (and text a ``content_block_start`` carries), the
    ``partial_json`` pieces of a ``tool_use`` block's input (raw JSON, channel ``(0, block index)``), and
    ``thinking_delta`` pieces (signed, channel ``THINKING``); ``signature_delta`` carries no text."""

    name = "anthropic.messages.event"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        kind = get(obj, "type")
        if kind == "content_block_delta":
            delta = get(obj, "delta")
            text = get(delta, "text")
            if get(delta, "type") == "text_delta" and isinstance(text, str) and text:
                yield TextPart(("delta", "text"), "assistant", text, 0, "delta")
            thinking = get(delta, "thinking")
            if get(delta, "type") == "thinking_delta" and isinstance(thinking, str) and thinking:
                yield TextPart(("delta", "thinking"), "assistant", thinking, THINKING, "delta", signed=True)
            piece = get(delta, "partial_json")
            if get(delta, "type") == "input_json_delta" and isinstance(piece, str) and piece:
                index = get(obj, "index")
                yield TextPart(("delta", "partial_json"), "assistant", piece,
                               (0, index if isinstance(index, int) else 0), "delta", "json")
        elif kind == "content_block_start":
            block = get(obj, "content_block")
            text = get(block, "text")
            if get(block, "type") == "text" and isinstance(text, str) and text:
                yield TextPart(("content_block", "text"), "assistant", text, 0, "delta")
            elif get(block, "type") == "thinking":
                thinking = get(block, "thinking")
                if isinstance(thinking, str) and thinking:
                    yield TextPart(("content_block", "thinking"), "assistant", thinking, THINKING, "delta",
                                   signed=True)
            elif get(block, "type") == "tool_use":  # its input is streamed; one given here is whole
                yield from json_parts(get(block, "input"), ("content_block", "input"), "assistant", kind="snapshot")


def _thinking(block: Any, path: tuple[str | int, ...], role: str) -> Iterator[TextPart]:
    text = get(block, "thinking")
    if isinstance(text, str) and text:
        yield TextPart((*path, "thinking"), role, text, THINKING, signed=True)


REQUEST = MessagesRequestView()
COUNT_TOKENS = CountTokensRequestView()
RESPONSE = MessageResponseView()
EVENT = MessageEventView()
