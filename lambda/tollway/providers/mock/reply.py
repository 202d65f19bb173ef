"""What the mock answers: it follows the request, deterministically.

- **Tools.** ``tool_choice: none`` (or no tools): no call. A named tool choice: that tool.
  ``required``: the tool named in the last user message, else the first tool. ``auto`` (or no
  choice): the tool named in the last user message, else a text answer; and when the last message
  is a tool result, always a text answer, so agent loops end. "Named" means the tool's name occurs
  as a word, case-insensitively (``Read`` in "read the file /tmp/a.txt"); the earliest wins, and
  text inside ``<system-reminder>`` tags (Claude Code's context notes) is ignored.
- **Arguments** are generated from the tool's JSON schema (``schema.value_for``): required
  properties filled, types, enums and formats respected; a property whose name mentions a path or
  file takes the first path in the last user message, one that mentions a URL its first URL.
- **Structured output.** ``response_format: json_schema``: a JSON value valid against the schema;
  ``json_object``: ``{"response": <the text answer>}``.
- **Reasoning.** ``reasoning_effort`` (Anthropic ``thinking`` arrives as that): a short reasoning
  text before the answer, also as a signed ``thinking`` block for Anthropic clients.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tollway.providers.mock.schema import value_for
from tollway.tokens import message_text
from tollway.types.chat import FunctionDefinition

if TYPE_CHECKING:
    from tollway.types.chat import ChatRequest

_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)
_PATH = re.compile(r"(?<![\w:/])((?:~|\.{1,2})?/[\w.\-~/]+)")
_URL = re.compile(r"https?://[^\s\"'<>)]+")


@dataclass(frozen=True)
class Plan:
    """The mock's answer to one request, before it is shaped as a response or a stream."""

    text: str | None
    tool: str | None = None
    arguments: str = "{}"
    call_id: str = ""
    reasoning: str | None = None


def plan(request: ChatRequest, text: str) -> Plan:
    """The answer to ``request``; ``text`` is the plain-text reply it would give without tools or formats."""
    said = last_user_text(request)
    reasoning = _reasoning(request, said)
    tool = _tool(request, said)
    if tool is not None:
        arguments = value_for(tool.parameters or {"type": "object"}, name=tool.name, hints=_hints(said))
        if not isinstance(arguments, dict):
            arguments = {}
        encoded = json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(f"{tool.name}|{encoded}|{len(request.messages)}|{said}".encode()).hexdigest()[:24]
        return Plan(text=None, tool=tool.name, arguments=encoded, call_id=f"call_{digest}", reasoning=reasoning)
    return Plan(text=_formatted(request, text), reasoning=reasoning)


def last_user_text(request: ChatRequest) -> str:
    """The last user message's text, without Claude Code's ``<system-reminder>`` notes."""
    last_user = next((m for m in reversed(request.messages) if m.role == "user"), None)
    return " ".join(_REMINDER.sub(" ", message_text(last_user.content)).split()) if last_user else ""


def signature(reasoning: str) -> str:
    """A stable stand-in for a thinking block's signature."""
    return "mock-" + hashlib.sha256(reasoning.encode()).hexdigest()[:32]


def _tool(request: ChatRequest, said: str) -> FunctionDefinition | None:
    tools = [t.function for t in request.tools or []]
    choice = request.tool_choice
    if not tools or choice == "none":
        return None
    if choice is not None and not isinstance(choice, str):
        wanted = choice.function.get("name")
        return next((t for t in tools if t.name == wanted), FunctionDefinition(name=str(wanted)))
    named = _named(tools, said)
    if choice == "required":
        return named or tools[0]
    if request.messages[-1].role in ("tool", "function"):
        return None
    return named


def _named(tools: list[FunctionDefinition], said: str) -> FunctionDefinition | None:
    best: tuple[int, FunctionDefinition] | None = None
    for tool in tools:
        found = re.search(rf"(?<![\w-]){re.escape(tool.name)}(?![\w-])", said, re.IGNORECASE)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), tool)
    return best[1] if best else None


def _hints(said: str) -> dict[str, str]:
    hints: dict[str, str] = {}
    url = _URL.search(said)
    if url:
        hints["url"] = url.group(0).rstrip(".,;")
    path = _PATH.search(_URL.sub(" ", said))
    if path:
        hints["path"] = hints["file"] = hints["dir"] = path.group(1).rstrip(".,;")
    return hints


def _formatted(request: ChatRequest, text: str) -> str:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return text
    if fmt.type == "json_schema":
        spec: dict[str, Any] = fmt.json_schema or {}
        value = value_for(spec.get("schema") or {"type": "object"}, name=str(spec.get("name") or "value"))
        return json.dumps(value, ensure_ascii=False)
    return json.dumps({"response": text}, ensure_ascii=False)


def _reasoning(request: ChatRequest, said: str) -> str | None:
    effort = request.reasoning_effort
    if effort is None or effort == "minimal":
        return None
    topic = said[:120] or "the conversation"
    return f"The user wrote: {topic}. Thinking at {effort} effort: answer it directly and briefly."
