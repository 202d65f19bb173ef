"""Views over the passthrough objects: a ``WireRequest``'s body, a ``NativeResponse`` and a ``NativeEvent``.

A request is read through its format's dict view over ``WireRequest.body`` (``request_view``). An answer's
view reads ``NativeResponse.data`` and, when a part is rewritten, re-serialises ``content`` so the bytes sent
match. An event's view parses the event's JSON only when asked (only output guardrails ask: without them a
stream is never parsed per event), keeps it on ``NativeEvent.data`` and re-frames ``raw`` after a rewrite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tollway.passthrough.sse import fields, frame
from tollway.passthrough.wire import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES
from tollway.views import anthropic, openai_chat, responses
from tollway.views.base import TextPart, TextView, View

_REQUEST: dict[str, TextView] = {ANTHROPIC_MESSAGES: anthropic.REQUEST, OPENAI_CHAT: openai_chat.REQUEST,
                                 OPENAI_RESPONSES: responses.REQUEST}
_RESPONSE: dict[str, TextView] = {ANTHROPIC_MESSAGES: anthropic.RESPONSE, OPENAI_CHAT: openai_chat.RESPONSE,
                                  OPENAI_RESPONSES: responses.RESPONSE}
_EVENT: dict[str, TextView] = {ANTHROPIC_MESSAGES: anthropic.EVENT, OPENAI_CHAT: openai_chat.CHUNK,
                               OPENAI_RESPONSES: responses.EVENT}


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def request_view(fmt: str) -> TextView:
    """The dict view of a request body in ``fmt`` (use it over ``WireRequest.body``)."""
    return _REQUEST[fmt]


class NativeResponseView(View):
    """A ``NativeResponse``: the format's view over ``data``; a rewrite re-serialises ``content``."""

    def __init__(self, fmt: str) -> None:
        self.inner = _RESPONSE[fmt]
        self.name = f"native.{self.inner.name}"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        return self.inner.parts(obj.data)

    def replace(self, obj: Any, part: TextPart, text: str) -> None:
        self.inner.replace(obj.data, part, text)
        obj.content = _dumps(obj.data)


class NativeEventView(View):
    """A ``NativeEvent``: its JSON parsed on first read (kept on ``data``); a rewrite re-frames ``raw``
    (same event name, the payload re-serialised)."""

    def __init__(self, fmt: str) -> None:
        self.inner = _EVENT[fmt]
        self.name = f"native.{self.inner.name}"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        data = self._data(obj)
        return self.inner.parts(data) if data is not None else iter(())

    def replace(self, obj: Any, part: TextPart, text: str) -> None:
        data = self._data(obj)
        if data is None:
            return
        self.inner.replace(data, part, text)
        obj.raw = frame(fields(obj.raw)[0], _dumps(data))

    @staticmethod
    def _data(event: Any) -> dict[str, Any] | None:
        if event.data is None:
            payload = fields(event.raw)[1]
            if not payload.startswith("{"):
                return None  # ``[DONE]``, a comment or keep-alive: no text
            try:
                data = json.loads(payload)
            except ValueError:
                return None
            if not isinstance(data, dict):
                return None
            event.data = data
        return event.data  # type: ignore[no-any-return]
