"""Canonical (OpenAI-shaped) chat request -> keyword arguments for boto3 ``converse``.

Contract: ``to_converse_kwargs`` takes the dict from ``Provider.prepare`` and returns what
``client.converse(**kwargs)`` / ``converse_stream`` accept (images as raw bytes; boto3 encodes
them). It raises ``InvalidRequestError`` / ``UnsupportedParamError`` for what Converse cannot take.

Mapping choices:
- system/developer -> ``system``; consecutive same-role turns merged; tool results become
  ``toolResult`` blocks in a user turn; image URLs are fetched safely (``images.load_image``).
- ``tool_choice``: auto -> ``auto``, required -> ``any``, named -> ``tool``; ``none`` omits
  ``toolConfig`` (Converse has no "none"). ``parallel_tool_calls`` has no Converse field and is ignored.
- ``response_format: json_schema`` -> ``outputConfig.textFormat`` (native structured output);
  ``json_object`` -> a system instruction.
- ``reasoning_effort`` -> ``additionalModelRequestFields.thinking`` for Claude models (a 400
  for other models unless ``drop_params``); ``maxTokens`` grows to fit the budget.
- ``cache_control`` on a system part, a content part, a message or a tool -> a ``cachePoint``
  block right after it.
- ``user`` -> ``requestMetadata.user`` (visible in Bedrock's invocation logs).
- ``top_k`` (from ``/v1/messages``) -> ``additionalModelRequestFields``: ``top_k`` for Claude,
  ``inferenceConfig.topK`` for Nova; other models refuse it (unless ``drop_params``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.providers.images import load_image, parse_data_uri
from tollway.providers.reasoning import thinking_budget
from tollway.providers.tools import tool_arguments
from tollway.providers.turns import append_turn, turn_role

DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else."
CACHE_POINT: dict[str, Any] = {"cachePoint": {"type": "default"}}
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif",
                 "image/webp": "webp"}
_METADATA_VALUE = re.compile(r"[^a-zA-Z0-9\s:_@$#=/+,.-]")

Block = dict[str, Any]


def is_claude(model_id: str) -> bool:
    """Claude on Bedrock: ``anthropic.claude-*``, a cross-region profile of it, or an ARN naming it."""
    return "anthropic." in model_id or "claude" in model_id


async def to_converse_kwargs(body: dict[str, Any], *, model_id: str, drop_params: bool) -> dict[str, Any]:
    system, messages = await _split_messages(body["messages"])
    kwargs: dict[str, Any] = {"modelId": model_id, "messages": messages}
    inference: dict[str, Any] = {}
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit:
        inference["maxTokens"] = limit
    if "temperature" in body:
        inference["temperature"] = body["temperature"]
    if "top_p" in body:
        inference["topP"] = body["top_p"]
    stop = body.get("stop")
    if stop:
        inference["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    _response_format(body.get("response_format"), system, kwargs)
    _thinking(body.get("reasoning_effort"), limit, model_id=model_id, drop_params=drop_params,
              inference=inference, kwargs=kwargs)
    if inference:
        kwargs["inferenceConfig"] = inference
    _top_k(body.get("top_k"), model_id=model_id, drop_params=drop_params, kwargs=kwargs)
    if system:
        kwargs["system"] = system
    tool_config = _tool_config(body)
    if tool_config:
        kwargs["toolConfig"] = tool_config
    if body.get("user"):
        kwargs["requestMetadata"] = {"user": _METADATA_VALUE.sub("_", str(body["user"]))[:256]}
    return kwargs


def _top_k(value: int | None, *, model_id: str, drop_params: bool, kwargs: dict[str, Any]) -> None:
    if value is None:
        return
    extra = kwargs.setdefault("additionalModelRequestFields", {})
    if is_claude(model_id):
        extra["top_k"] = value
    elif "nova" in model_id:
        extra.setdefault("inferenceConfig", {})["topK"] = value
    elif not drop_params:
        raise UnsupportedParamError(f"bedrock model '{model_id}' takes no 'top_k' (remove it, or set "
                                    "litellm_settings.drop_params: true to drop it)", param="top_k")
    if not extra:
        del kwargs["additionalModelRequestFields"]


# ----------------------------------------------------------------------------- messages


async def _split_messages(raw: list[dict[str, Any]]) -> tuple[list[Block], list[dict[str, Any]]]:
    system: list[Block] = []
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(raw):
        role = turn_role(message["role"], index, "bedrock")
        if role == "system":
            system.extend(_with_message_cache(_text_blocks(message.get("content"), index), message))
            continue
        if message["role"] == "user":
            blocks = await _user_blocks(message.get("content"), index)
        elif message["role"] == "assistant":
            blocks = _assistant_blocks(message)
        else:
            blocks = [_tool_result(message, index)]
        append_turn(turns, role, _with_message_cache(blocks, message))
    return system, turns


def _with_message_cache(blocks: list[Block], message: dict[str, Any]) -> list[Block]:
    if message.get("cache_control") and blocks and blocks[-1] != CACHE_POINT:
        blocks.append(dict(CACHE_POINT))
    return blocks


def _text_blocks(content: Any, index: int) -> list[Block]:
    if not content:
        return []
    if isinstance(content, str):
        return [{"text": content}]
    blocks: list[Block] = []
    for part in content:
        if part.get("type") != "text":
            raise InvalidRequestError(f"messages[{index}]: only text parts are allowed here",
                                      param=f"messages[{index}].content")
        if part.get("text"):
            blocks.append({"text": part["text"]})
        if part.get("cache_control"):
            blocks.append(dict(CACHE_POINT))
    return blocks


async def _user_blocks(content: Any, index: int) -> list[Block]:
    if isinstance(content, str):
        return _text_blocks(content, index)
    blocks: list[Block] = []
    for n, part in enumerate(content or []):
        kind = part.get("type")
        if kind == "text":
            if part.get("text"):
                blocks.append({"text": part["text"]})
        elif kind == "image_url":
            image = await load_image(part["image_url"]["url"])
            fmt = IMAGE_FORMATS.get(image.media_type)
            if fmt is None:
                raise InvalidRequestError(f"bedrock accepts png, jpeg, gif and webp images, not '{image.media_type}'",
                                          param=f"messages[{index}].content", code="invalid_image")
            blocks.append({"image": {"format": fmt, "source": {"bytes": image.data}}})
        elif kind == "file":
            blocks.append({"document": _document((part.get("file") or {}), index, n)})
        else:
            raise InvalidRequestError(f"messages[{index}]: content of type '{kind}' is not supported by bedrock",
                                      param=f"messages[{index}].content")
        if part.get("cache_control"):
            blocks.append(dict(CACHE_POINT))
    return blocks


def _document(file: dict[str, Any], index: int, part: int) -> Block:
    data = file.get("file_data")
    if not (isinstance(data, str) and data.startswith("data:")):
        raise InvalidRequestError(f"messages[{index}]: file parts need 'file_data' as a data URI for bedrock",
                                  param=f"messages[{index}].content")
    document = parse_data_uri(data)
    fmt = document.media_type.rpartition("/")[2] or "pdf"
    name = re.sub(r"[^a-zA-Z0-9\s()\[\]-]", "-", str(file.get("filename") or f"document-{index}-{part}"))
    return {"format": fmt, "name": name[:200], "source": {"bytes": document.data}}


def _assistant_blocks(message: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    for thinking in message.get("thinking_blocks") or []:
        if thinking.get("type") == "thinking":
            text: Block = {"text": thinking.get("thinking", "")}
            if thinking.get("signature"):
                text["signature"] = thinking["signature"]
            blocks.append({"reasoningContent": {"reasoningText": text}})
    content = message.get("content")
    if isinstance(content, str):
        if content.strip():
            blocks.append({"text": content})
    elif content:
        blocks.extend({"text": p["text"]} for p in content if p.get("type") == "text" and p.get("text"))
    for call in message.get("tool_calls") or []:
        blocks.append({"toolUse": {"toolUseId": call["id"], "name": call["function"]["name"],
                                   "input": tool_arguments(call["function"].get("arguments"))}})
    return blocks


def _tool_result(message: dict[str, Any], index: int) -> Block:
    content = message.get("content")
    text = content if isinstance(content, str) else "".join(p.get("text", "") for p in content or [])
    return {"toolResult": {"toolUseId": message["tool_call_id"], "content": [{"text": text or " "}]}}


# ----------------------------------------------------------------------------- options


def _tool_config(body: dict[str, Any]) -> dict[str, Any] | None:
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    specs: list[Block] = []
    for tool in tools:
        function = tool["function"]
        spec: Block = {"name": function["name"],
                       "inputSchema": {"json": function.get("parameters") or {"type": "object", "properties": {}}}}
        if function.get("description"):
            spec["description"] = function["description"]
        specs.append({"toolSpec": spec})
        if tool.get("cache_control") or function.get("cache_control"):
            specs.append(dict(CACHE_POINT))
    config: dict[str, Any] = {"tools": specs}
    if choice == "required":
        config["toolChoice"] = {"any": {}}
    elif isinstance(choice, dict):
        config["toolChoice"] = {"tool": {"name": choice["function"]["name"]}}
    elif choice == "auto":
        config["toolChoice"] = {"auto": {}}
    return config


def _response_format(fmt: dict[str, Any] | None, system: list[Block], kwargs: dict[str, Any]) -> None:
    if not fmt or fmt.get("type") == "text":
        return
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema")
        if not isinstance(schema, dict):
            raise InvalidRequestError("response_format.json_schema.schema must be a JSON schema object",
                                      param="response_format")
        definition: Block = {"schema": json.dumps(schema, separators=(",", ":")), "name": spec.get("name", "response")}
        if spec.get("description"):
            definition["description"] = spec["description"]
        kwargs["outputConfig"] = {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}
    else:
        system.append({"text": JSON_OBJECT_INSTRUCTION})


def _thinking(effort: str | None, limit: int | None, *, model_id: str, drop_params: bool,
              inference: dict[str, Any], kwargs: dict[str, Any]) -> None:
    budget = thinking_budget(effort)
    if budget is None:
        return
    if not is_claude(model_id):
        if drop_params:
            return
        raise UnsupportedParamError(f"reasoning_effort is supported on bedrock for Claude models, not '{model_id}' "
                                    "(or set litellm_settings.drop_params: true)", param="reasoning_effort")
    if limit is None:
        inference["maxTokens"] = budget + DEFAULT_MAX_TOKENS
    elif limit <= budget:
        budget = max(MIN_THINKING_BUDGET, limit // 2)
        inference["maxTokens"] = max(limit, budget + 1)
    kwargs["additionalModelRequestFields"] = {"thinking": {"type": "enabled", "budget_tokens": budget}}
