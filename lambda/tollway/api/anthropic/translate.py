"""Messages API <-> the canonical (OpenAI-shaped) chat model.

Inbound: system -> a system message; user blocks -> text/image parts, ``tool_result`` blocks
-> tool messages (sent before the rest of that user turn); assistant ``tool_use`` ->
tool calls; ``thinking`` -> ``reasoning_effort``; ``cache_control`` stays on its part.
Outbound: reasoning -> a ``thinking`` block, text -> ``text``, tool calls -> ``tool_use``;
usage split the Anthropic way (``input_tokens`` excludes cached and cache-write tokens).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tollway.api.anthropic.models import MessagesRequest
from tollway.api.bodies import validation_error
from tollway.errors import InvalidRequestError
from tollway.types.chat import ChatRequest

if TYPE_CHECKING:
    from tollway.api.anthropic.models import CountTokensRequest
    from tollway.types.chat import ChatResponse, Usage

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                "function_call": "tool_use", "content_filter": "refusal"}


def to_chat_request(body: MessagesRequest | CountTokensRequest) -> ChatRequest:
    messages: list[dict[str, Any]] = []
    if body.system:
        messages.append({"role": "system", "content": _system(body.system)})
    for message in body.messages:
        blocks = [{"type": "text", "text": message.content}] if isinstance(message.content, str) else message.content
        if message.role == "user":
            messages.extend(_user_turn(blocks))
        else:
            messages.append(_assistant_turn(blocks))
    request: dict[str, Any] = {"model": body.model, "messages": messages}
    if body.tools:
        request["tools"] = [{"type": "function", "function": {
            "name": t.name, **({"description": t.description} if t.description else {}),
            "parameters": t.input_schema}, **_cache(t.model_extra)} for t in body.tools]
    if body.tool_choice:
        request.update(_tool_choice(body.tool_choice))
    if body.thinking and body.thinking.get("type") == "enabled":
        budget = body.thinking.get("budget_tokens") or 0
        if not isinstance(budget, int) or isinstance(budget, bool):
            raise InvalidRequestError("'thinking.budget_tokens' must be an integer.", param="thinking.budget_tokens")
        request["reasoning_effort"] = "low" if budget <= 2048 else "medium" if budget <= 8192 else "high"
    full = body if isinstance(body, MessagesRequest) else None  # count_tokens may carry max_tokens as an extra
    if full is not None:
        request["max_tokens"] = full.max_tokens
        for ours, theirs in (("stop", "stop_sequences"), ("temperature", "temperature"), ("top_p", "top_p")):
            value = getattr(full, theirs)
            if value is not None:
                request[ours] = value
        if full.metadata and full.metadata.get("user_id"):
            request["user"] = str(full.metadata["user_id"])
        fmt = (full.output_config or {}).get("format") if full.output_config else None
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "output", "schema": fmt.get("schema", {}), "strict": True}}
    try:
        return ChatRequest.model_validate(request)
    except ValidationError as exc:  # a block field of the wrong type (e.g. a non-string text) is the caller's
        raise validation_error(exc) from None


def _system(system: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    if isinstance(system, str):
        return system
    return [{"type": "text", "text": b.get("text", ""), **_cache(b)} for b in system if b.get("type") == "text"]


def _user_turn(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "tool_result":
            out.append({"role": "tool", "tool_call_id": block.get("tool_use_id", ""),
                        "content": _tool_result_text(block)})
        elif kind == "text":
            parts.append({"type": "text", "text": block.get("text", ""), **_cache(block)})
        elif kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block)}, **_cache(block)})
        else:
            raise InvalidRequestError(f"Content blocks of type '{kind}' are not supported in user messages.",
                                      param="messages")
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _assistant_turn(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    texts, calls, reasoning = [], [], []
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            texts.append(_text(block, "text"))
        elif kind == "tool_use":
            calls.append({"id": block.get("id", ""), "type": "function", "function": {
                "name": block.get("name", ""), "arguments": json.dumps(block.get("input", {}))}})
        elif kind == "thinking":
            reasoning.append(_text(block, "thinking"))
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    return message


def _text(block: dict[str, Any], key: str) -> str:
    value = block.get(key, "")
    if not isinstance(value, str):
        raise InvalidRequestError(f"A '{block.get('type')}' block's '{key}' must be a string.", param="messages")
    return value


def _tool_result_text(block: dict[str, Any]) -> str:
    content = block.get("content", "")
    if not isinstance(content, str) and not (isinstance(content, list) and all(isinstance(p, dict) for p in content)):
        raise InvalidRequestError("A tool_result's 'content' must be a string or a list of content blocks.",
                                  param="messages")
    text = content if isinstance(content, str) else "".join(
        str(part.get("text", "")) for part in content if part.get("type") == "text")
    return f"Error: {text}" if block.get("is_error") else text


def _image_url(block: dict[str, Any]) -> str:
    source = block.get("source")
    if not isinstance(source, dict):
        raise InvalidRequestError("Image blocks need a 'base64' or 'url' source.", param="messages")
    if source.get("type") == "base64":
        return f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    if source.get("type") == "url":
        return str(source.get("url", ""))
    raise InvalidRequestError("Image blocks need a 'base64' or 'url' source.", param="messages")


def _tool_choice(choice: dict[str, Any]) -> dict[str, Any]:
    kind = choice.get("type")
    mapped: dict[str, Any] = {}
    if kind == "auto":
        mapped["tool_choice"] = "auto"
    elif kind == "any":
        mapped["tool_choice"] = "required"
    elif kind == "none":
        mapped["tool_choice"] = "none"
    elif kind == "tool":
        mapped["tool_choice"] = {"type": "function", "function": {"name": choice.get("name", "")}}
    if choice.get("disable_parallel_tool_use"):
        mapped["parallel_tool_calls"] = False
    return mapped


def _cache(block: dict[str, Any] | None) -> dict[str, Any]:
    return {"cache_control": block["cache_control"]} if block and block.get("cache_control") else {}


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
        if message.reasoning_content:
            content.append({"type": "thinking", "thinking": message.reasoning_content, "signature": ""})
        if message.content:
            content.append({"type": "text", "text": message.content})
        for call in message.tool_calls or []:
            content.append({"type": "tool_use", "id": call.id, "name": call.function.name,
                            "input": parse_arguments(call.function.arguments)})
    stop_reason = STOP_REASONS.get(choice.finish_reason or "stop", "end_turn") if choice else "end_turn"
    return {
        "id": _message_id(response.id), "type": "message", "role": "assistant",
        "model": response.model or requested_model, "content": content, "stop_reason": stop_reason,
        "stop_sequence": None, "usage": usage_block(response.usage),
    }


def parse_arguments(arguments: str) -> Any:
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return {"_raw": arguments}


def _message_id(upstream_id: str) -> str:
    return upstream_id if upstream_id.startswith("msg_") else f"msg_{upstream_id.removeprefix('chatcmpl-')}"
