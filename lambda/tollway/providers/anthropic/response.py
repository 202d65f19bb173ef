"""Anthropic Messages API response -> canonical ``ChatResponse`` (and the shared tables).

Usage follows OpenAI's semantics: ``prompt_tokens`` includes cached input, so it is
``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``; the cached part is
``prompt_tokens_details.cached_tokens`` and the cache write ``cache_creation_tokens``.
Thinking blocks come back as ``reasoning_content`` (their text) plus ``thinking_blocks``
(verbatim, signature included) so a client can send them back on the next turn.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tollway.errors import UpstreamError
from tollway.types.chat import (
    ChatResponse,
    Choice,
    CompletionTokensDetails,
    FunctionCall,
    PromptTokensDetails,
    ResponseMessage,
    ToolCall,
    Usage,
)

#: Anthropic ``stop_reason`` -> OpenAI ``finish_reason``
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return FINISH_REASONS.get(stop_reason, "stop")


def to_usage(raw: dict[str, Any]) -> Usage:
    cache_read = int(raw.get("cache_read_input_tokens") or 0)
    cache_write = int(raw.get("cache_creation_input_tokens") or 0)
    prompt = int(raw.get("input_tokens") or 0) + cache_read + cache_write
    completion = int(raw.get("output_tokens") or 0)
    details = raw.get("output_tokens_details") or {}
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=cache_read, cache_creation_tokens=cache_write),
        completion_tokens_details=CompletionTokensDetails(reasoning_tokens=int(details.get("thinking_tokens") or 0)),
    )


def to_chat_response(data: Any) -> ChatResponse:
    if not isinstance(data, dict) or not isinstance(data.get("content"), list):
        raise UpstreamError("anthropic: unexpected message shape from the upstream")
    texts: list[str] = []
    reasoning: list[str] = []
    thinking_blocks: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    for block in data["content"]:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input") or {}, separators=(",", ":"), ensure_ascii=False)
            calls.append(ToolCall(id=block["id"], function=FunctionCall(name=block["name"], arguments=arguments)))
        elif kind == "thinking":
            reasoning.append(block.get("thinking", ""))
            thinking_blocks.append(block)
        elif kind == "redacted_thinking":
            thinking_blocks.append(block)
    extra: dict[str, Any] = {"thinking_blocks": thinking_blocks} if thinking_blocks else {}
    message = ResponseMessage(
        content="".join(texts) if texts else None,
        tool_calls=calls or None,
        reasoning_content="".join(reasoning) if reasoning else None,
        **extra,
    )
    reason = finish_reason(data.get("stop_reason")) or "stop"
    return ChatResponse(
        id=str(data.get("id") or "msg_unknown"),
        created=int(time.time()),
        model=str(data.get("model") or ""),
        choices=[Choice(index=0, message=message, finish_reason=reason)],  # type: ignore[arg-type]
        usage=to_usage(data.get("usage") or {}),
    )
