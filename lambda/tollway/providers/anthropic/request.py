"""Canonical (OpenAI-shaped) chat request -> Anthropic Messages API request body.

Contract: ``to_messages_body`` takes the dict from ``Provider.prepare`` (deployment defaults
applied, unsupported parameters already rejected or dropped) and returns the JSON body for
``POST /v1/messages``. It raises ``InvalidRequestError`` for content Anthropic cannot take.

Mapping choices worth knowing:
- system/developer messages become the top-level ``system`` blocks; consecutive turns of the
  same role are merged because Anthropic requires alternation; tool results become
  ``tool_result`` blocks in a user turn.
- ``response_format: json_schema`` uses Anthropic's native structured outputs
  (``output_config.format``); ``json_object`` has no native equivalent and becomes a system
  instruction to answer with one JSON object.
- ``reasoning_effort`` enables extended thinking with the budget from ``providers.reasoning``;
  ``max_tokens`` (which covers thinking, like OpenAI's ``max_completion_tokens``) is raised
  to fit the budget when needed, since Anthropic requires ``budget_tokens < max_tokens``.
- ``cache_control`` on a content part, a message (applies to its last block) or a tool is
  passed through unchanged.
"""

from __future__ import annotations

from typing import Any

from tollway.errors import InvalidRequestError
from tollway.providers.images import parse_data_uri
from tollway.providers.reasoning import thinking_budget
from tollway.providers.tools import tool_arguments
from tollway.providers.turns import append_turn, turn_role

#: output cap when neither the caller nor the deployment sets one (Anthropic requires it)
DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else."

Block = dict[str, Any]


def to_messages_body(body: dict[str, Any], *, model: str, stream: bool) -> dict[str, Any]:
    system, messages = _split_messages(body["messages"])
    out: dict[str, Any] = {"model": model, "messages": messages}
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    out["max_tokens"] = limit or DEFAULT_MAX_TOKENS
    _response_format(body.get("response_format"), system, out)
    if system:
        out["system"] = system
    if "temperature" in body:
        out["temperature"] = body["temperature"]
    if "top_p" in body:
        out["top_p"] = body["top_p"]
    if "top_k" in body:
        out["top_k"] = body["top_k"]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if body.get("user"):
        out["metadata"] = {"user_id": body["user"]}
    _tools(body, out)
    _thinking(body.get("reasoning_effort"), limit, out)
    if stream:
        out["stream"] = True
    return out


# ----------------------------------------------------------------------------- messages


def _split_messages(raw: list[dict[str, Any]]) -> tuple[list[Block], list[dict[str, Any]]]:
    system: list[Block] = []
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(raw):
        role = turn_role(message["role"], index, "anthropic")
        if role == "system":
            system.extend(_with_message_cache(_text_blocks(message.get("content"), index), message))
            continue
        if message["role"] == "user":
            blocks = _user_blocks(message.get("content"), index)
        elif message["role"] == "assistant":
            blocks = _assistant_blocks(message)
        else:
            blocks = [_tool_result(message, index)]
        append_turn(turns, role, _with_message_cache(blocks, message))
    return system, turns


def _with_message_cache(blocks: list[Block], message: dict[str, Any]) -> list[Block]:
    """A message-level ``cache_control`` marks the end of that message (its last block)."""
    cache = message.get("cache_control")
    if cache and blocks:
        blocks[-1] = {**blocks[-1], "cache_control": cache}
    return blocks


def _text_blocks(content: Any, index: int) -> list[Block]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks = []
    for part in content:
        if part.get("type") != "text":
            raise InvalidRequestError(f"messages[{index}]: only text parts are allowed here",
                                      param=f"messages[{index}].content")
        blocks.append(_text_part(part))
    return blocks


def _text_part(part: dict[str, Any]) -> Block:
    block: Block = {"type": "text", "text": part["text"]}
    if part.get("cache_control"):
        block["cache_control"] = part["cache_control"]
    return block


def _user_blocks(content: Any, index: int) -> list[Block]:
    if isinstance(content, str):
        return _text_blocks(content, index)
    blocks: list[Block] = []
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            block = _text_part(part)
        elif kind == "image_url":
            block = {"type": "image", "source": _image_source(part["image_url"]["url"])}
        elif kind == "file":
            block = {"type": "document", "source": _document_source(part.get("file") or {}, index)}
        else:
            raise InvalidRequestError(f"messages[{index}]: content of type '{kind}' is not supported by anthropic",
                                      param=f"messages[{index}].content")
        if kind != "text" and part.get("cache_control"):
            block["cache_control"] = part["cache_control"]
        blocks.append(block)
    return blocks


def _image_source(url: str) -> Block:
    if url.startswith("data:"):
        image = parse_data_uri(url)
        return {"type": "base64", "media_type": image.media_type, "data": image.base64}
    if url.startswith(("http://", "https://")):
        return {"type": "url", "url": url}
    raise InvalidRequestError("Image URLs must be http(s) URLs or data URIs.", param="messages",
                              code="invalid_image")


def _document_source(file: dict[str, Any], index: int) -> Block:
    data = file.get("file_data")
    if isinstance(data, str) and data.startswith("data:"):
        document = parse_data_uri(data)
        return {"type": "base64", "media_type": document.media_type, "data": document.base64}
    raise InvalidRequestError(f"messages[{index}]: file parts need 'file_data' as a data URI for anthropic",
                              param=f"messages[{index}].content")


def _assistant_blocks(message: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [dict(b) for b in message.get("thinking_blocks") or [] if isinstance(b, dict)]
    content = message.get("content")
    if isinstance(content, str):
        if content:
            blocks.append({"type": "text", "text": content})
    elif content:
        blocks.extend(_text_part(p) for p in content if p.get("type") == "text" and p.get("text"))
    for call in message.get("tool_calls") or []:
        blocks.append({"type": "tool_use", "id": call["id"], "name": call["function"]["name"],
                       "input": tool_arguments(call["function"].get("arguments"))})
    return blocks


def _tool_result(message: dict[str, Any], index: int) -> Block:
    content = message.get("content")
    result: Block = {"type": "tool_result", "tool_use_id": message["tool_call_id"]}
    result["content"] = content if isinstance(content, str) else _text_blocks(content, index)
    return result


# ----------------------------------------------------------------------------- options


def _response_format(fmt: dict[str, Any] | None, system: list[Block], out: dict[str, Any]) -> None:
    if not fmt or fmt.get("type") == "text":
        return
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema")
        if not isinstance(schema, dict):
            raise InvalidRequestError("response_format.json_schema.schema must be a JSON schema object",
                                      param="response_format")
        out["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    else:
        system.append({"type": "text", "text": JSON_OBJECT_INSTRUCTION})


def _tools(body: dict[str, Any], out: dict[str, Any]) -> None:
    tools = body.get("tools")
    if not tools:
        return
    out["tools"] = [_tool(tool) for tool in tools]
    choice = body.get("tool_choice")
    mapped: Block | None = None
    if choice in (None, "auto"):
        mapped = {"type": "auto"} if body.get("parallel_tool_calls") is False else None
    elif choice == "none":
        mapped = {"type": "none"}
    elif choice == "required":
        mapped = {"type": "any"}
    elif isinstance(choice, dict):
        mapped = {"type": "tool", "name": choice["function"]["name"]}
    if mapped is not None and body.get("parallel_tool_calls") is False and mapped["type"] != "none":
        mapped["disable_parallel_tool_use"] = True
    if mapped is not None:
        out["tool_choice"] = mapped


def _tool(tool: dict[str, Any]) -> Block:
    function = tool["function"]
    spec: Block = {"name": function["name"],
                   "input_schema": function.get("parameters") or {"type": "object", "properties": {}}}
    if function.get("description"):
        spec["description"] = function["description"]
    cache = tool.get("cache_control") or function.get("cache_control")
    if cache:
        spec["cache_control"] = cache
    return spec


def _thinking(effort: str | None, limit: int | None, out: dict[str, Any]) -> None:
    """Without a caller cap the answer gets the default on top of the budget; with one, the
    budget shrinks to fit inside it (never below Anthropic's minimum)."""
    budget = thinking_budget(effort)
    if budget is None:
        return
    if limit is None:
        out["max_tokens"] = budget + DEFAULT_MAX_TOKENS
    elif limit <= budget:
        budget = max(MIN_THINKING_BUDGET, limit // 2)
        out["max_tokens"] = max(limit, budget + 1)
    out["thinking"] = {"type": "enabled", "budget_tokens": budget}
