"""Ollama ``/api/chat`` answers -> canonical responses and chunks.

A non-streamed answer is one JSON object; a stream is NDJSON, one object per line, the
last with ``done: true``, ``done_reason`` and the token counts (``prompt_eval_count``,
``eval_count``). Tool calls arrive whole (arguments as an object), so each becomes one
tool-call delta with a generated id. ``message.thinking`` is ``reasoning_content``.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tollway.errors import UpstreamError
from tollway.types.chat import (
    ChatChunk,
    ChatResponse,
    Choice,
    ChunkChoice,
    Delta,
    FunctionCall,
    FunctionCallDelta,
    ResponseMessage,
    ToolCall,
    ToolCallDelta,
    Usage,
)

#: Ollama ``done_reason`` -> OpenAI ``finish_reason`` ("load"/"unload" answer nothing: "stop")
FINISH_REASONS = {"stop": "stop", "length": "length"}


def finish_reason(done_reason: str | None, has_tool_calls: bool) -> str:
    if has_tool_calls:
        return "tool_calls"
    return FINISH_REASONS.get(done_reason or "stop", "stop")


def usage(data: dict[str, Any]) -> Usage:
    prompt = int(data.get("prompt_eval_count") or 0)
    completion = int(data.get("eval_count") or 0)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def tool_calls(message: dict[str, Any]) -> list[ToolCall]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments", {})
        calls.append(ToolCall(
            id=call.get("id") or f"call_{uuid.uuid4().hex[:24]}",
            function=FunctionCall(name=str(function.get("name", "")),
                                  arguments=arguments if isinstance(arguments, str) else json.dumps(arguments)),
        ))
    return calls


def parse_chat(data: Any, model: str) -> ChatResponse:
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise UpstreamError("ollama: unexpected chat response shape from the upstream")
    message = data["message"]
    calls = tool_calls(message)
    return ChatResponse(
        id=f"chatcmpl-{uuid.uuid4().hex[:24]}",
        created=int(time.time()),
        model=model,
        choices=[Choice(
            message=ResponseMessage(content=message.get("content") or (None if calls else ""),
                                    tool_calls=calls or None, reasoning_content=message.get("thinking") or None),
            finish_reason=finish_reason(data.get("done_reason"), bool(calls)),  # type: ignore[arg-type]
        )],
        usage=usage(data),
    )


@dataclass
class StreamState:
    """Turns NDJSON objects into chunks; one instance per stream."""

    model: str
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex[:24]}")
    created: int = field(default_factory=lambda: int(time.time()))
    started: bool = False
    tool_index: int = 0

    def _chunk(self, delta: Delta | None = None, finish: Any = None, use: Usage | None = None) -> ChatChunk:
        choices = [] if delta is None else [ChunkChoice(delta=delta, finish_reason=finish)]
        return ChatChunk(id=self.id, created=self.created, model=self.model, choices=choices, usage=use)

    def feed(self, data: Any) -> list[ChatChunk]:
        if not isinstance(data, dict):
            raise UpstreamError("ollama: unexpected object in the upstream stream")
        if "error" in data:
            raise UpstreamError(f"ollama: {data['error']}")
        out: list[ChatChunk] = []
        if not self.started:
            self.started = True
            out.append(self._chunk(Delta(role="assistant", content="")))
        message = data.get("message") or {}
        if message.get("thinking"):
            out.append(self._chunk(Delta(reasoning_content=message["thinking"])))
        if message.get("content"):
            out.append(self._chunk(Delta(content=message["content"])))
        for call in tool_calls(message):
            out.append(self._chunk(Delta(tool_calls=[ToolCallDelta(
                index=self.tool_index, id=call.id, type="function",
                function=FunctionCallDelta(name=call.function.name, arguments=call.function.arguments),
            )])))
            self.tool_index += 1
        if data.get("done"):
            reason = finish_reason(data.get("done_reason"), self.tool_index > 0)
            out.append(self._chunk(Delta(), finish=reason))
            out.append(self._chunk(use=usage(data)))
        return out
