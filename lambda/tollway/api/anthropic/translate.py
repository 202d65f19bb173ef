"""Canonical chat answer -> the Messages API's message (the inbound side is ``inbound``).

Used only when the deployment does not speak the Messages API. Thinking blocks the upstream
returned verbatim (``thinking_blocks``, signatures included) are kept; other reasoning becomes
a ``thinking`` block; text -> ``text``, tool calls -> ``tool_use``; usage split the Anthropic
way (``input_tokens`` excludes cached and cache-write tokens).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.types.chat import ChatResponse, Usage

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                "function_call": "tool_use", "content_filter": "refusal"}


def usage_block(usage: Usage | None) -> dict[str, int]:
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    cached, created = usage.cached_tokens, usage.cache_creation_tokens
    return {"input_tokens": max(0, usage.prompt_tokens - cached - created), "output_tokens": usage.completion_tokens,
            "cache_read_input_tokens": cached, "cache_creation_input_tokens": created}


def to_message(response: ChatResponse, requested_model: str) -> dict[str, Any]:
    choice = response.choices[0] if response.choices else None
    content: list[dict[str, Any]] = []
    if choice is not None:
        message = choice.message
        signed = (message.model_extra or {}).get("thinking_blocks")
        if isinstance(signed, list) and signed:
            content.extend(block for block in signed if isinstance(block, dict))
        elif message.reasoning_content:
            content.append({"type": "thinking", "thinking": message.reasoning_content, "signature": ""})
        if message.content:
            content.append({"type": "text", "text": message.content})
        for call in message.tool_calls or []:
            content.append({"type": "tool_use", "id": call.id, "name": call.function.name,
                            "input": parse_arguments(call.function.arguments)})
    stop_reason = STOP_REASONS.get(choice.finish_reason or "stop", "end_turn") if choice else "end_turn"
    return {
        "id": message_id(response.id), "type": "message", "role": "assistant",
        "model": response.model or requested_model, "content": content, "stop_reason": stop_reason,
        "stop_sequence": None, "usage": usage_block(response.usage),
    }


def parse_arguments(arguments: str) -> Any:
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return {"_raw": arguments}


def message_id(upstream_id: str) -> str:
    """A Messages API id for the upstream's id (never ``msg_msg_``)."""
    return upstream_id if upstream_id.startswith("msg_") else f"msg_{upstream_id.removeprefix('chatcmpl-')}"
