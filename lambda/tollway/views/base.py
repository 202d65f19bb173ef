"""The text-view protocol and the path helpers every view shares.

A ``TextPart`` names one piece of text by its path inside the object (dict keys, list indices or
attribute names), so ``replace`` works the same on JSON dicts and on pydantic models. Views are pure:
``parts`` never mutates, ``replace`` changes exactly the one string the part points at.

Tool-call arguments are JSON: a whole JSON text (OpenAI's ``arguments`` strings) is read as one part per
string value inside it, its path going on past ``JSON`` into the parsed value, and ``replace`` writes the
value back and re-serialises the JSON text, so a rewrite (a mask, a restored original) keeps it valid JSON;
Anthropic's ``input`` objects are walked the same way without the step. Streamed argument pieces cannot be
parsed: they are ``syntax="json"`` parts, raw JSON text on a channel of their own.

Reasoning text (chat ``reasoning_content``, Anthropic ``thinking``, Responses ``reasoning`` items) is read
like any other text, on a ``Reasoning`` channel of its own; text covered by a signature (Anthropic's
thinking blocks) is ``signed``: it is checked, but never rewritten, as the provider rejects a changed block.
Redacted or encrypted reasoning has no readable text and yields no part.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

Path = tuple[str | int, ...]
#: ``text``: a whole text in a request or response; ``delta``: a piece of a streamed text;
#: ``snapshot``: a streamed event that repeats a whole text already sent as deltas
PartKind = Literal["text", "delta", "snapshot"]
#: ``text``: plain text; ``json``: a piece of raw JSON text (streamed tool-call arguments)
Syntax = Literal["text", "json"]


class Reasoning(NamedTuple):
    """The channel of reasoning text: the choice or output index, and the field it is read from (a stream may
    carry two reasoning fields at once, e.g. ``reasoning_content`` and ``reasoning``)."""

    output: int
    source: str


#: an output of a stream: a choice or output index, ``(index, tool call)`` for streamed tool-call arguments,
#: or a ``Reasoning`` channel
Channel = int | tuple[int, int] | Reasoning
#: in a path, the step from a JSON text into its parsed value
JSON = "<json>"
#: how deep tool-call arguments are walked for their strings
_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class TextPart:
    """One string inside an object: where it is, who wrote it, and which output it belongs to.

    ``channel`` separates concurrent outputs of one stream (OpenAI's ``choices[].index``, the
    Responses API's ``output_index``), so streamed deltas are joined per channel. ``signed``: the text is
    covered by a signature (an Anthropic thinking block): check it, never rewrite it.
    """

    path: Path
    role: str
    text: str
    channel: Channel = 0
    kind: PartKind = "text"
    syntax: Syntax = "text"
    signed: bool = False

    @property
    def reasoning(self) -> bool:
        """Whether this is the model's reasoning (rather than its answer or the caller's text)."""
        return isinstance(self.channel, Reasoning)

    @property
    def label(self) -> str:
        """``messages[0].content[1].text``: the location, for logs and error details."""
        out = ""
        for key in self.path:
            if key == JSON:
                continue
            out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
        return out


class TextView(Protocol):
    """Reads and rewrites the text of one wire format's objects."""

    name: str

    def parts(self, obj: Any) -> Iterator[TextPart]:
        """Every text part, in document order."""
        ...

    def replace(self, obj: Any, part: TextPart, text: str) -> None:
        """Set the string ``part`` points at to ``text`` (in place)."""
        ...


class RequestFacts(Protocol):
    """What a request view also knows beyond text: how many messages, and the output-token cap."""

    def message_count(self, obj: Any) -> int: ...

    def clamp_output(self, obj: Any, cap: int) -> bool:
        """Lower the output-token cap to at most ``cap``; True when it changed."""
        ...


class View:
    """Base of the concrete views: ``replace`` follows the part's path."""

    name = "view"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        raise NotImplementedError

    def replace(self, obj: Any, part: TextPart, text: str) -> None:
        set_at(obj, part.path, text)


def get(obj: Any, key: str | int) -> Any:
    """``obj[key]`` for dicts and lists, ``obj.key`` for models; None when absent."""
    if isinstance(obj, dict):
        return obj.get(key)
    if isinstance(obj, list):
        return obj[key] if isinstance(key, int) and 0 <= key < len(obj) else None
    return getattr(obj, key, None) if isinstance(key, str) else None


def set_at(obj: Any, path: Path, value: Any) -> None:
    """Set the value at ``path``; past a ``JSON`` step, inside the JSON text there (re-serialised)."""
    if JSON in path:
        at = path.index(JSON)
        holder, inner = path[:at], path[at + 1:]
        data = json.loads(get_at(obj, holder))
        _set(data, inner, value)
        _set(obj, holder, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        return
    _set(obj, path, value)


def get_at(obj: Any, path: Path) -> Any:
    for key in path:
        obj = get(obj, key)
    return obj


def _set(obj: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        obj = get(obj, key)
    last = path[-1]
    if isinstance(obj, (dict, list)):
        obj[last] = value  # type: ignore[index]
    else:
        setattr(obj, str(last), value)


def json_parts(value: Any, path: Path, role: str, *, channel: Channel = 0,
               kind: PartKind = "text") -> Iterator[TextPart]:
    """The strings inside tool-call arguments: a JSON text (parsed; the path steps in through ``JSON``) or an
    object. Arguments that are not JSON are one plain part (there is no structure to keep)."""
    if isinstance(value, str):
        if not value:
            return
        try:
            data = json.loads(value)
        except ValueError:
            yield TextPart(path, role, value, channel, kind)
            return
        if isinstance(data, (dict, list)):
            yield from _leaves(data, (*path, JSON), TextPart((), role, "", channel, kind), 0)
        elif isinstance(data, str):
            yield TextPart(path, role, value, channel, kind, "json")  # a JSON string: raw, quotes and escapes
    elif isinstance(value, (dict, list)):
        yield from _leaves(value, path, TextPart((), role, "", channel, kind), 0)


def _leaves(data: Any, path: Path, like: TextPart, depth: int) -> Iterator[TextPart]:
    """The non-empty strings inside ``data``, as parts like ``like`` (its role, channel and kind)."""
    if depth > _MAX_DEPTH:
        return
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, item in items:
        if isinstance(item, str):
            if item:
                yield TextPart((*path, key), like.role, item, like.channel, like.kind)
        elif isinstance(item, (dict, list)):
            yield from _leaves(item, (*path, key), like, depth + 1)


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def content_parts(content: Any, path: Path, role: str, text_types: frozenset[str], *,
                  channel: int = 0) -> Iterator[TextPart]:
    """The text of a message ``content``: a string, or a list of blocks whose ``type`` is in ``text_types``."""
    if isinstance(content, str):
        yield TextPart(path, role, content, channel)
        return
    for i, block in enumerate(listed(content)):
        text = get(block, "text")
        if get(block, "type") in text_types and isinstance(text, str):
            yield TextPart((*path, i, "text"), role, text, channel)


def clamp_field(obj: Any, names: tuple[str, ...], cap: int, *, default_name: str) -> bool:
    """Lower every present cap in ``names`` to ``cap`` (or set ``default_name`` when none is present)."""
    changed = False
    present = False
    for name in names:
        value = get(obj, name)
        if isinstance(value, int):
            present = True
            if value > cap:
                set_at(obj, (name,), cap)
                changed = True
    if not present:
        set_at(obj, (default_name,), cap)
        changed = True
    return changed
