"""Anthropic Messages: request (``system`` and ``messages``), response ``content`` and stream events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tollway.views.base import TextPart, View, clamp_field, content_parts, get, listed

_TEXT = frozenset({"text"})


class MessagesRequestView(View):
    """``system``, text blocks of every message, and the text of ``tool_result`` blocks (role ``tool``)."""

    name = "anthropic.messages.request"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        yield from content_parts(get(obj, "system"), ("system",), "system", _TEXT)
        for i, message in enumerate(listed(get(obj, "messages"))):
            role = str(get(message, "role") or "user")
            content = get(message, "content")
            yield from content_parts(content, ("messages", i, "content"), role, _TEXT)
            for j, block in enumerate(listed(content)):
                if get(block, "type") == "tool_result":
                    yield from content_parts(get(block, "content"), ("messages", i, "content", j, "content"),
                                             "tool", _TEXT)

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
    name = "anthropic.messages.response"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        yield from content_parts(get(obj, "content"), ("content",), "assistant", _TEXT)


class MessageEventView(View):
    """``text_delta`` of ``content_block_delta`` events (and text a ``content_block_start`` carries)."""

    name = "anthropic.messages.event"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        kind = get(obj, "type")
        if kind == "content_block_delta":
            delta = get(obj, "delta")
            text = get(delta, "text")
            if get(delta, "type") == "text_delta" and isinstance(text, str) and text:
                yield TextPart(("delta", "text"), "assistant", text, 0, "delta")
        elif kind == "content_block_start":
            block = get(obj, "content_block")
            text = get(block, "text")
            if get(block, "type") == "text" and isinstance(text, str) and text:
                yield TextPart(("content_block", "text"), "assistant", text, 0, "delta")


REQUEST = MessagesRequestView()
COUNT_TOKENS = CountTokensRequestView()
RESPONSE = MessageResponseView()
EVENT = MessageEventView()
