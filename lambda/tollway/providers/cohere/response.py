"""Cohere v2 answers -> canonical responses, stream chunks and embeddings.

Text content becomes ``content``, ``thinking`` content ``reasoning_content``, the
``tool_plan`` the assistant's ``content`` next to its ``tool_calls``. Usage counts are
Cohere's ``billed_units`` (what it charges), falling back to ``tokens``. ``finish_reason``
maps by ``FINISH_REASONS``; ``ERROR`` and ``TIMEOUT`` are upstream failures, not answers.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tollway.errors import GatewayTimeoutError, TollwayError, UpstreamError
from tollway.providers.transport import error_from_status
from tollway.types.chat import (
    ChatChunk,
    ChatResponse,
    Choice,
    ChunkChoice,
    Delta,
    FunctionCall,
    FunctionCallDelta,
    PromptTokensDetails,
    ResponseMessage,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from tollway.types.embeddings import Embedding, EmbeddingResponse, EmbeddingUsage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.providers.sse import SSEEvent

FINISH_REASONS: dict[str, str] = {
    "COMPLETE": "stop", "STOP_SEQUENCE": "stop", "END_TURN": "stop", "MAX_TOKENS": "length",
    "ERROR_LIMIT": "length", "TOOL_CALL": "tool_calls", "ERROR_TOXIC": "content_filter",
}


def finish_reason(reason: str | None, error: str | None = None) -> str:
    """The OpenAI finish_reason for Cohere's, raising for the reasons that mean failure."""
    reason = (reason or "COMPLETE").upper()
    if reason == "TIMEOUT":
        raise GatewayTimeoutError(f"cohere: the generation timed out{': ' + error if error else ''}")
    if reason == "ERROR":
        raise UpstreamError(f"cohere: the generation failed{': ' + error if error else ''}")
    return FINISH_REASONS.get(reason, "stop")


def usage(data: dict[str, Any] | None) -> Usage:
    data = data or {}
    billed = data.get("billed_units") or {}
    tokens = data.get("tokens") or {}
    prompt = int(billed.get("input_tokens") or tokens.get("input_tokens") or 0)
    completion = int(billed.get("output_tokens") or tokens.get("output_tokens") or 0)
    cached = int(data.get("cached_tokens") or 0)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion,
                 prompt_tokens_details=PromptTokensDetails(cached_tokens=cached))


def chat_response(data: Any, model: str) -> ChatResponse:
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise UpstreamError("cohere: unexpected chat response shape from the upstream")
    message = data["message"]
    text, thinking = [], []
    for item in message.get("content") or []:
        if item.get("type") == "text":
            text.append(item.get("text") or "")
        elif item.get("type") == "thinking":
            thinking.append(item.get("thinking") or "")
    calls = [
        ToolCall(id=c["id"], function=FunctionCall(name=c["function"]["name"],
                                                   arguments=c["function"].get("arguments") or "{}"))
        for c in message.get("tool_calls") or []
    ]
    content = "".join(text) or (message.get("tool_plan") if calls else None) or ("" if not calls else None)
    return ChatResponse(
        id=str(data.get("id") or "cohere"), created=int(time.time()), model=model,
        choices=[Choice(
            message=ResponseMessage(content=content, tool_calls=calls or None,
                                    reasoning_content="".join(thinking) or None),
            finish_reason=finish_reason(data.get("finish_reason")),  # type: ignore[arg-type]
        )],
        usage=usage(data.get("usage")),
    )


@dataclass
class StreamState:
    """What a stream has said so far: its id and the index of the tool call being built."""

    model: str
    id: str = "cohere"
    created: int = field(default_factory=lambda: int(time.time()))
    tool_index: int = -1

    def chunk(self, delta: Delta | None = None, finish: str | None = None, usage: Usage | None = None) -> ChatChunk:
        choices = [ChunkChoice(delta=delta or Delta(), finish_reason=finish)] if delta or finish else []  # type: ignore[arg-type]
        return ChatChunk(id=self.id, created=self.created, model=self.model, choices=choices, usage=usage)


async def stream_chunks(events: AsyncIterator[SSEEvent], model: str) -> AsyncIterator[ChatChunk]:
    state = StreamState(model)
    async for event in events:
        if event.data == "[DONE]":
            return
        try:
            payload = json.loads(event.data)
        except ValueError:
            raise UpstreamError("cohere: invalid JSON in the upstream stream") from None
        if not isinstance(payload, dict):
            continue
        for chunk in stream_event(payload, state, event.event):
            yield chunk


def stream_event(payload: dict[str, Any], state: StreamState, name: str | None = None) -> list[ChatChunk]:
    """The canonical chunks for one Cohere stream event (often none)."""
    kind = payload.get("type") or name
    delta = payload.get("delta") or {}
    message = delta.get("message") or {}
    if kind == "message-start":
        state.id = str(payload.get("id") or state.id)
        return [state.chunk(Delta(role="assistant", content=""))]
    if kind == "content-delta":
        content = message.get("content") or {}
        if content.get("thinking"):
            return [state.chunk(Delta(reasoning_content=content["thinking"]))]
        return [state.chunk(Delta(content=content["text"]))] if content.get("text") else []
    if kind == "tool-plan-delta":
        plan = message.get("tool_plan")
        return [state.chunk(Delta(content=plan))] if plan else []
    if kind == "tool-call-start":
        call = message.get("tool_calls") or {}
        function = call.get("function") or {}
        state.tool_index += 1
        return [state.chunk(Delta(tool_calls=[ToolCallDelta(
            index=state.tool_index, id=call.get("id"), type="function",
            function=FunctionCallDelta(name=function.get("name"), arguments=function.get("arguments") or ""),
        )]))]
    if kind == "tool-call-delta":
        arguments = ((message.get("tool_calls") or {}).get("function") or {}).get("arguments")
        if not arguments:
            return []
        return [state.chunk(Delta(tool_calls=[ToolCallDelta(
            index=max(state.tool_index, 0), function=FunctionCallDelta(arguments=arguments))]))]
    if kind == "message-end":
        finish = finish_reason(delta.get("finish_reason"), delta.get("error"))
        return [state.chunk(finish=finish), state.chunk(usage=usage(delta.get("usage")))]
    if kind == "error" or ("message" in payload and "type" not in payload):
        raise _stream_error(payload)
    return []  # content-start/-end, tool-call-end, citation-*, debug: nothing to relay


def _stream_error(payload: dict[str, Any]) -> TollwayError:
    status = payload.get("status_code") or payload.get("status") or 500
    return error_from_status("cohere", int(status) if str(status).isdigit() else 500, payload)


def embeddings(data: Any, model: str, count: int, encoding_format: str | None) -> EmbeddingResponse:
    vectors = ((data or {}).get("embeddings") or {}).get("float") if isinstance(data, dict) else None
    if not isinstance(vectors, list) or len(vectors) != count:
        raise UpstreamError("cohere: unexpected embeddings shape from the upstream")
    items = []
    for index, vector in enumerate(vectors):
        encoded: list[float] | str = vector
        if encoding_format == "base64":
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        items.append(Embedding(index=index, embedding=encoded))
    billed = ((data.get("meta") or {}).get("billed_units") or {})
    tokens = int(billed.get("input_tokens") or 0)
    return EmbeddingResponse(data=items, model=model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))
