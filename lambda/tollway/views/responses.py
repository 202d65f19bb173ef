"""OpenAI's Responses API: ``instructions`` and ``input`` items, ``output`` items, and stream events.

Written from OpenAI's API reference: input is a string or a list of items (messages whose ``content`` is a
string or ``input_text``/``output_text`` parts, ``function_call`` items whose ``arguments`` are JSON, and
``function_call_output`` items); output ``message`` items hold ``output_text`` and ``refusal`` parts,
``function_call`` items ``arguments``. Streams send ``response.output_text.delta`` (and
``response.refusal.delta``, ``response.function_call_arguments.delta``) per output index, then ``*.done``
events and ``response.completed`` that repeat whole texts; those are ``snapshot`` parts, so a guardrail that
rewrote the deltas can rewrite them too.

``reasoning`` items (in the input a client sends back, and in the output) hold text in ``summary[].text``
(``summary_text``) and ``content[].text`` (``reasoning_text``), streamed as
``response.reasoning_summary_text.delta`` and ``response.reasoning_text.delta`` and repeated by their
``*.done``, ``response.reasoning_summary_part.*`` and ``response.content_part.*`` events; they are read on a
``Reasoning(output index, "summary" | "content")`` channel. ``encrypted_content`` is opaque: not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tollway.views.base import Channel, Reasoning, TextPart, View, clamp_field, content_parts, get, json_parts, listed

_INPUT_TEXT = frozenset({"input_text", "output_text", "text"})
#: reasoning delta and done events: the field of the item they stream
_REASONING_EVENTS = {"response.reasoning_summary_text": "summary", "response.reasoning_text": "content"}


class ResponsesRequestView(View):
    name = "openai.responses.request"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        instructions = get(obj, "instructions")
        if isinstance(instructions, str):
            yield TextPart(("instructions",), "system", instructions)
        value = get(obj, "input")
        if isinstance(value, str):
            yield TextPart(("input",), "user", value)
        for i, item in enumerate(listed(value)):
            kind = get(item, "type")
            if kind in (None, "message"):
                role = str(get(item, "role") or "user")
                yield from content_parts(get(item, "content"), ("input", i, "content"), role, _INPUT_TEXT)
            elif kind == "function_call_output":
                yield from content_parts(get(item, "output"), ("input", i, "output"), "tool", _INPUT_TEXT)
            elif kind == "function_call":
                yield from json_parts(get(item, "arguments"), ("input", i, "arguments"), "assistant")
            elif kind == "reasoning":
                yield from _reasoning_parts(item, ("input", i), 0, "text")

    def message_count(self, obj: Any) -> int:
        value = get(obj, "input")
        return len(value) if isinstance(value, list) else 1

    def clamp_output(self, obj: Any, cap: int) -> bool:
        return clamp_field(obj, ("max_output_tokens",), cap, default_name="max_output_tokens")


class ResponsesResponseView(View):
    name = "openai.responses.response"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        yield from _output_parts(get(obj, "output"), ("output",), "text")


class ResponsesEventView(View):
    name = "openai.responses.event"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        kind = get(obj, "type")
        index = get(obj, "output_index")
        channel = index if isinstance(index, int) else 0
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            delta = get(obj, "delta")
            if isinstance(delta, str) and delta:
                yield TextPart(("delta",), "assistant", delta, channel, "delta")
        elif kind == "response.function_call_arguments.delta":
            delta = get(obj, "delta")
            if isinstance(delta, str) and delta:
                yield TextPart(("delta",), "assistant", delta, channel, "delta", "json")
        elif kind == "response.function_call_arguments.done":
            yield from json_parts(get(obj, "arguments"), ("arguments",), "assistant", channel=channel, kind="snapshot")
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            delta = get(obj, "delta")
            if isinstance(delta, str) and delta:
                yield TextPart(("delta",), "assistant", delta, Reasoning(channel, _REASONING_EVENTS[kind[:-6]]),
                               "delta")
        elif kind in ("response.reasoning_summary_text.done", "response.reasoning_text.done"):
            if isinstance(get(obj, "text"), str):
                yield TextPart(("text",), "assistant", get(obj, "text"),
                               Reasoning(channel, _REASONING_EVENTS[kind[:-5]]), "snapshot")
        elif kind in ("response.reasoning_summary_part.added", "response.reasoning_summary_part.done"):
            text = get(get(obj, "part"), "text")
            if isinstance(text, str) and text:
                yield TextPart(("part", "text"), "assistant", text, Reasoning(channel, "summary"), "snapshot")
        elif kind in ("response.output_text.done", "response.refusal.done"):
            field = "text" if kind == "response.output_text.done" else "refusal"
            if isinstance(get(obj, field), str):
                yield TextPart((field,), "assistant", get(obj, field), channel, "snapshot")
        elif kind in ("response.content_part.added", "response.content_part.done"):
            part = get(obj, "part")
            on: Channel = Reasoning(channel, "content") if get(part, "type") == "reasoning_text" else channel
            for field in ("text", "refusal"):
                if isinstance(get(part, field), str) and get(part, field):
                    yield TextPart(("part", field), "assistant", get(part, field), on, "snapshot")
        elif kind in ("response.output_item.added", "response.output_item.done"):
            yield from _item_parts(get(obj, "item"), ("item",), channel, "snapshot")
        elif kind in ("response.completed", "response.incomplete", "response.created", "response.in_progress"):
            yield from _output_parts(get(get(obj, "response"), "output"), ("response", "output"), "snapshot")


def _output_parts(output: Any, path: tuple[str, ...], kind: str) -> Iterator[TextPart]:
    for i, item in enumerate(listed(output)):
        yield from _item_parts(item, (*path, i), i, kind)


def _item_parts(item: Any, path: tuple[str | int, ...], channel: int, kind: str) -> Iterator[TextPart]:
    if get(item, "type") == "reasoning":
        yield from _reasoning_parts(item, path, channel, kind)
    if get(item, "type") == "function_call":
        yield from json_parts(get(item, "arguments"), (*path, "arguments"), "assistant", channel=channel,
                              kind=kind)  # type: ignore[arg-type]
    if get(item, "type") != "message":
        return
    for j, part in enumerate(listed(get(item, "content"))):
        field = {"output_text": "text", "refusal": "refusal"}.get(str(get(part, "type")))
        if field and isinstance(get(part, field), str) and (kind == "text" or get(part, field)):
            yield TextPart((*path, "content", j, field), "assistant", get(part, field), channel,
                           kind)  # type: ignore[arg-type]


def _reasoning_parts(item: Any, path: tuple[str | int, ...], channel: int, kind: str) -> Iterator[TextPart]:
    """The text of a ``reasoning`` item's ``summary`` and ``content`` parts."""
    for field in ("summary", "content"):
        for j, part in enumerate(listed(get(item, field))):
            text = get(part, "text")
            if isinstance(text, str) and text:
                yield TextPart((*path, field, j, "text"), "assistant", text, Reasoning(channel, field),
                               kind)  # type: ignore[arg-type]


REQUEST = ResponsesRequestView()
RESPONSE = ResponsesResponseView()
EVENT = ResponsesEventView()
