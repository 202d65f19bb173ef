"""OpenAI's legacy ``functions`` / ``function_call`` on Chat Completions, served through tools.

``upgrade`` rewrites a request in place before routing, so every provider sees tools:
``functions`` -> ``tools``, ``function_call`` -> ``tool_choice``, an assistant message's
``function_call`` -> one ``tool_calls`` entry, and a ``role: function`` result -> a ``role: tool``
message answering that call. For a request that used ``functions``, the returned
``LegacyFunctions`` turns the answer back into the legacy shape as OpenAI sends it: the first
tool call as ``message.function_call`` (``delta.function_call`` when streamed) and
``finish_reason: function_call``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError
from tollway.types.chat import AssistantMessage, FunctionMessage, NamedToolChoice, Tool, ToolCall, ToolMessage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse, Message


@dataclass(frozen=True)
class LegacyFunctions:
    """Whether the caller asked in the legacy shape, and the way back to it."""

    active: bool = False

    def response(self, response: ChatResponse) -> ChatResponse:
        if not self.active:
            return response
        for choice in response.choices:
            calls = choice.message.tool_calls
            if calls:
                choice.message.function_call = calls[0].function.model_dump()  # type: ignore[attr-defined]
                choice.message.tool_calls = None
            if choice.finish_reason == "tool_calls":
                choice.finish_reason = "function_call"
        return response

    async def stream(self, chunks: AsyncIterator[ChatChunk]) -> AsyncIterator[ChatChunk]:
        if not self.active:
            async for chunk in chunks:
                yield chunk
            return
        async for chunk in chunks:
            for choice in chunk.choices:
                deltas = choice.delta.tool_calls
                if deltas:
                    first = [d for d in deltas if d.index == 0 and d.function is not None]
                    if first:
                        choice.delta.function_call = first[0].function.model_dump(  # type: ignore[union-attr,attr-defined]
                            exclude_none=True)
                    choice.delta.tool_calls = None
                if choice.finish_reason == "tool_calls":
                    choice.finish_reason = "function_call"
            yield chunk


def used(body: dict[str, Any]) -> bool:
    """Whether a raw Chat Completions body uses the legacy fields (``functions``, ``function_call``,
    ``role: function`` turns, assistant ``function_call``)."""
    if "functions" in body or "function_call" in body:
        return True
    return any(isinstance(m, dict) and (m.get("role") == "function" or m.get("function_call"))
               for m in body.get("messages") or [])


def upgrade(request: ChatRequest) -> LegacyFunctions:
    """Rewrite the legacy fields of ``request`` as tools (400 for combinations OpenAI refuses)."""
    if request.functions is not None and request.tools is not None:
        raise InvalidRequestError("Use either 'functions' or 'tools', not both.", param="functions")
    if request.function_call is not None and request.functions is None:
        raise InvalidRequestError("'function_call' is only allowed when 'functions' are specified.",
                                  param="function_call")
    if request.tool_choice is not None and request.function_call is not None:
        raise InvalidRequestError("Use either 'function_call' or 'tool_choice', not both.", param="function_call")
    active = request.functions is not None
    if active:
        request.tools = [Tool(function=f) for f in request.functions or []]
        choice = request.function_call
        if isinstance(choice, dict):
            if not choice.get("name"):
                raise InvalidRequestError("'function_call' must be 'none', 'auto' or {\"name\": ...}.",
                                          param="function_call")
            request.tool_choice = NamedToolChoice(function={"name": choice["name"]})
        elif choice is not None:
            request.tool_choice = choice
        request.functions = None
        request.function_call = None
    if any(isinstance(m, FunctionMessage) or (isinstance(m, AssistantMessage) and m.function_call)
           for m in request.messages):
        request.messages = _messages(request.messages)
    return LegacyFunctions(active=active)


def _messages(messages: list[Message]) -> list[Message]:
    out: list[Message] = []
    pending: dict[str, str] = {}  # function name -> id of its latest unanswered call
    for index, message in enumerate(messages):
        if isinstance(message, AssistantMessage) and message.function_call and not message.tool_calls:
            call_id = f"call_legacy_{index}"
            pending[message.function_call.name] = call_id
            out.append(message.model_copy(update={
                "tool_calls": [ToolCall(id=call_id, function=message.function_call)], "function_call": None}))
        elif isinstance(message, FunctionMessage):
            call_id = pending.pop(message.name, "") or f"call_legacy_{message.name}"
            out.append(ToolMessage(role="tool", content=message.content or "", tool_call_id=call_id))
        else:
            out.append(message)
    return out
