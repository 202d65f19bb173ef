"""OpenAI Chat Completions: request, response and stream chunk, as JSON dicts or as the canonical models.

The canonical ``ChatRequest``/``ChatResponse``/``ChatChunk`` follow these shapes field for field, so the
same views read both (``get`` and ``set_at`` use keys on dicts and attributes on models).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tollway.views.base import TextPart, View, clamp_field, content_parts, get, listed

_TEXT = frozenset({"text"})


class ChatRequestView(View):
    """``messages[].content`` (a string or ``text`` parts) of every role."""

    name = "openai.chat.request"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        for i, message in enumerate(listed(get(obj, "messages"))):
            role = str(get(message, "role") or "user")
            yield from content_parts(get(message, "content"), ("messages", i, "content"), role, _TEXT)

    def message_count(self, obj: Any) -> int:
        return len(listed(get(obj, "messages")))

    def clamp_output(self, obj: Any, cap: int) -> bool:
        return clamp_field(obj, ("max_completion_tokens", "max_tokens"), cap, default_name="max_tokens")


class ChatResponseView(View):
    """Each choice's ``message.content`` and ``message.refusal``; the channel is the choice index."""

    name = "openai.chat.response"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        for i, choice in enumerate(listed(get(obj, "choices"))):
            channel = _index(choice, i)
            message = get(choice, "message")
            for field in ("content", "refusal"):
                text = get(message, field)
                if isinstance(text, str):
                    yield TextPart(("choices", i, "message", field), "assistant", text, channel)


class ChatChunkView(View):
    """Each choice's ``delta.content`` and ``delta.refusal`` in one stream chunk."""

    name = "openai.chat.chunk"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        for i, choice in enumerate(listed(get(obj, "choices"))):
            channel = _index(choice, i)
            delta = get(choice, "delta")
            for field in ("content", "refusal"):
                text = get(delta, field)
                if isinstance(text, str) and text:
                    yield TextPart(("choices", i, "delta", field), "assistant", text, channel, "delta")


def _index(choice: Any, position: int) -> int:
    index = get(choice, "index")
    return index if isinstance(index, int) else position


REQUEST = ChatRequestView()
RESPONSE = ChatResponseView()
CHUNK = ChatChunkView()
