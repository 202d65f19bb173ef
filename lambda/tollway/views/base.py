"""The text-view protocol and the path helpers every view shares.

A ``TextPart`` names one piece of text by its path inside the object (dict keys, list indices or
attribute names), so ``replace`` works the same on JSON dicts and on pydantic models. Views are pure:
``parts`` never mutates, ``replace`` changes exactly the one string the part points at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Path = tuple[str | int, ...]
#: ``text``: a whole text in a request or response; ``delta``: a piece of a streamed text;
#: ``snapshot``: a streamed event that repeats a whole text already sent as deltas
PartKind = Literal["text", "delta", "snapshot"]


@dataclass(frozen=True, slots=True)
class TextPart:
    """One string inside an object: where it is, who wrote it, and which output it belongs to.

    ``channel`` separates concurrent outputs of one stream (OpenAI's ``choices[].index``, the
    Responses API's ``output_index``), so streamed deltas are joined per channel.
    """

    path: Path
    role: str
    text: str
    channel: int = 0
    kind: PartKind = "text"

    @property
    def label(self) -> str:
        """``messages[0].content[1].text``: the location, for logs and error details."""
        out = ""
        for key in self.path:
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
    for key in path[:-1]:
        obj = get(obj, key)
    last = path[-1]
    if isinstance(obj, (dict, list)):
        obj[last] = value  # type: ignore[index]
    else:
        setattr(obj, str(last), value)


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
