"""Bedrock ``converse`` output -> canonical ``ChatResponse`` (and the shared tables).

Converse's ``inputTokens`` excludes cache reads and writes; OpenAI's ``prompt_tokens``
includes cached input, so it is ``inputTokens + cacheReadInputTokens + cacheWriteInputTokens``.
Reasoning comes back as ``reasoning_content`` plus Anthropic-shaped ``thinking_blocks``
(text and signature) that either Claude adapter accepts on the next turn.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tollway.errors import UpstreamError
from tollway.types.chat import (
    ChatResponse,
    Choice,
    FunctionCall,
    PromptTokensDetails,
    ResponseMessage,
    ToolCall,
    Usage,
)

#: Converse ``stopReason`` -> OpenAI ``finish_reason``
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "malformed_model_output": "stop",
    "malformed_tool_use": "stop",
}


def finish_reason(stop_reason: str | None) -> str:
    return FINISH_REASONS.get(stop_reason or "", "stop")


def to_usage(raw: dict[str, Any]) -> Usage:
    cache_read = int(raw.get("cacheReadInputTokens") or 0)
    cache_write = int(raw.get("cacheWriteInputTokens") or 0)
    prompt = int(raw.get("inputTokens") or 0) + cache_read + cache_write
    completion = int(raw.get("outputTokens") or 0)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=cache_read, cache_creation_tokens=cache_write),
    )


def response_id(data: dict[str, Any]) -> str:
    request_id = (data.get("ResponseMetadata") or {}).get("RequestId")
    return f"chatcmpl-{request_id}" if request_id else f"chatcmpl-bedrock-{int(time.time() * 1000)}"


def to_chat_response(data: Any, model: str) -> ChatResponse:
    message = ((data or {}).get("output") or {}).get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        raise UpstreamError("bedrock: unexpected converse output shape")
    texts: list[str] = []
    reasoning: list[str] = []
    thinking_blocks: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    for block in message["content"]:
        if "text" in block:
            texts.append(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"]
            arguments = json.dumps(use.get("input") or {}, separators=(",", ":"), ensure_ascii=False)
            calls.append(ToolCall(id=use["toolUseId"], function=FunctionCall(name=use["name"], arguments=arguments)))
        elif "reasoningContent" in block:
            content = block["reasoningContent"]
            text = content.get("reasoningText")
            if text:
                reasoning.append(text.get("text", ""))
                thinking_blocks.append({"type": "thinking", "thinking": text.get("text", ""),
                                        "signature": text.get("signature")})
    extra: dict[str, Any] = {"thinking_blocks": thinking_blocks} if thinking_blocks else {}
    response_message = ResponseMessage(
        content="".join(texts) if texts else None,
        tool_calls=calls or None,
        reasoning_content="".join(reasoning) if reasoning else None,
        **extra,
    )
    return ChatResponse(
        id=response_id(data),
        created=int(time.time()),
        model=model,
        choices=[Choice(index=0, message=response_message,
                        finish_reason=finish_reason(data.get("stopReason")))],  # type: ignore[arg-type]
        usage=to_usage(data.get("usage") or {}),
    )
