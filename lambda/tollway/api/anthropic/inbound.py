"""Messages API request -> the canonical (OpenAI-shaped) chat request, for attempts on other formats.

Only used when the chosen deployment does not speak the Messages API (a GPT, Gemini or Nova
model behind ``/v1/messages``); Claude deployments get the client's body as sent.

Mapping: ``system`` (top level, and ``system`` turns inside ``messages``, kept in place) ->
system messages; user blocks -> text/image/file parts, ``document`` blocks -> a ``file`` part
(base64) or text (plain-text and content sources); ``tool_result`` blocks -> tool messages, their
images -> image parts of the user turn that follows; assistant ``tool_use`` -> tool calls,
``thinking``/``redacted_thinking`` -> ``reasoning_content`` plus the verbatim ``thinking_blocks``
(signatures kept for targets that replay them); ``thinking``/``output_config.effort`` ->
``reasoning_effort``; ``top_k`` -> the ``top_k`` extension (adapters map it or refuse it);
top-level ``cache_control`` -> on the last block. What has no equivalent (server tools,
Anthropic-only fields, URL documents) is a 400 naming it, or dropped under ``drop_params``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tollway.api.anthropic.models import MessagesRequest
from tollway.api.bodies import validation_error
from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.types.chat import ChatRequest

if TYPE_CHECKING:
    from tollway.api.anthropic.models import CountTokensRequest, ToolDefinition

#: Messages API fields with no canonical equivalent
ANTHROPIC_ONLY = frozenset({"context_management", "container", "mcp_servers", "inference_geo", "service_tier"})
EFFORTS = {"low": "low", "medium": "medium", "high": "high", "max": "high"}
_DROP_HINT = "(set litellm_settings.drop_params: true to drop it)"


class _Translation:
    def __init__(self, drop_params: bool) -> None:
        self.drop = drop_params

    def refuse(self, message: str, param: str) -> None:
        """Refuse what the target cannot take, unless ``drop_params`` (then the caller drops it)."""
        if not self.drop:
            raise UnsupportedParamError(f"{message} {_DROP_HINT}", param=param)


def to_chat_request(body: MessagesRequest | CountTokensRequest, *, drop_params: bool = False) -> ChatRequest:
    t = _Translation(drop_params)
    for name in sorted((body.model_extra or {}).keys() - {"cache_control"}):
        t.refuse(f"The parameter '{name}' is specific to Anthropic models and this model has no equivalent.", name)
    if isinstance(body, MessagesRequest) and body.service_tier not in (None, "auto"):
        t.refuse("The parameter 'service_tier' is specific to Anthropic models.", "service_tier")
    messages: list[dict[str, Any]] = []
    if body.system:
        messages.append({"role": "system", "content": _system(body.system)})
    for i, message in enumerate(body.messages):
        blocks = [{"type": "text", "text": message.content}] if isinstance(message.content, str) else message.content
        if message.role == "user":
            messages.extend(_user_turn(blocks, i))
        elif message.role == "assistant":
            messages.append(_assistant_turn(blocks, i))
        else:
            messages.append({"role": "system", "content": _system(message.content)})
    _top_level_cache(body.model_extra or {}, messages)
    request: dict[str, Any] = {"model": body.model, "messages": messages}
    tools = [tool for tool in body.tools or [] if _client_tool(tool, t)]
    if tools:
        request["tools"] = [{"type": "function", "function": {
            "name": tool.name, **({"description": tool.description} if tool.description else {}),
            "parameters": tool.input_schema}, **_cache(tool.model_extra)} for tool in tools]
    if body.tool_choice and (tools or not body.tools):  # not when every tool was a dropped server tool
        request.update(_tool_choice(body.tool_choice))
    effort = _effort(body.thinking, getattr(body, "output_config", None))
    if effort:
        request["reasoning_effort"] = effort
    if isinstance(body, MessagesRequest):
        _sampling(body, request)
    try:
        return ChatRequest.model_validate(request)
    except ValidationError as exc:  # a block field of the wrong type (e.g. a non-string text) is the caller's
        raise validation_error(exc) from None


def _sampling(body: MessagesRequest, request: dict[str, Any]) -> None:
    request["max_tokens"] = body.max_tokens
    for ours, theirs in (("stop", "stop_sequences"), ("temperature", "temperature"), ("top_p", "top_p"),
                         ("top_k", "top_k")):
        value = getattr(body, theirs)
        if value is not None:
            request[ours] = value
    if body.metadata and body.metadata.get("user_id"):
        request["user"] = str(body.metadata["user_id"])
    fmt = (body.output_config or {}).get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        request["response_format"] = {"type": "json_schema", "json_schema": {
            "name": "output", "schema": fmt.get("schema", {}), "strict": True}}


def _effort(thinking: dict[str, Any] | None, output_config: dict[str, Any] | None) -> str | None:
    """``output_config.effort`` wins; else adaptive thinking is medium, and a thinking budget maps by size."""
    effort = (output_config or {}).get("effort")
    if effort is not None:
        if effort not in EFFORTS:
            raise InvalidRequestError(f"Invalid value for 'output_config.effort': '{effort}' is not one of "
                                      f"{sorted(EFFORTS)}.", param="output_config.effort")
        return EFFORTS[effort]
    kind = (thinking or {}).get("type")
    if kind == "adaptive":
        return "medium"
    if kind != "enabled":
        return None
    budget = (thinking or {}).get("budget_tokens") or 0
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise InvalidRequestError("'thinking.budget_tokens' must be an integer.", param="thinking.budget_tokens")
    return "low" if budget <= 2048 else "medium" if budget <= 8192 else "high"


def _client_tool(tool: ToolDefinition, t: _Translation) -> bool:
    """A custom tool is kept; a server tool (``web_search_*``, ``bash_*``, ...) is refused or dropped."""
    kind = (tool.model_extra or {}).get("type")
    if kind in (None, "custom"):
        return True
    t.refuse(f"The server tool '{tool.name}' ({kind}) runs on Anthropic's servers; this model cannot run it.",
             "tools")
    return False


def _system(system: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    if isinstance(system, str):
        return system
    return [{"type": "text", "text": b.get("text", ""), **_cache(b)} for b in system if b.get("type") == "text"]


def _user_turn(blocks: list[dict[str, Any]], i: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for j, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "tool_result":
            text, images = _tool_result(block, i, j)
            out.append({"role": "tool", "tool_call_id": block.get("tool_use_id", ""), "content": text})
            parts.extend(images)
        elif kind == "text":
            parts.append({"type": "text", "text": block.get("text", ""), **_cache(block)})
        elif kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block, i, j)}, **_cache(block)})
        elif kind == "document":
            parts.extend(_document(block, i, j))
        else:
            raise InvalidRequestError(f"Content blocks of type '{kind}' (messages[{i}].content[{j}]) cannot be sent "
                                      "to this model.", param=f"messages[{i}].content[{j}]")
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _assistant_turn(blocks: list[dict[str, Any]], i: int) -> dict[str, Any]:
    texts, calls, reasoning, thinking = [], [], [], []
    for j, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "text":
            texts.append(_text(block, "text"))
        elif kind == "tool_use":
            calls.append({"id": block.get("id", ""), "type": "function", "function": {
                "name": block.get("name", ""), "arguments": json.dumps(block.get("input", {}))}})
        elif kind == "thinking":
            reasoning.append(_text(block, "thinking"))
            thinking.append(block)
        elif kind == "redacted_thinking":
            thinking.append(block)
        else:
            raise InvalidRequestError(f"Content blocks of type '{kind}' (messages[{i}].content[{j}]) cannot be sent "
                                      "to this model.", param=f"messages[{i}].content[{j}]")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if thinking:
        message["thinking_blocks"] = thinking
    return message


def _text(block: dict[str, Any], key: str) -> str:
    value = block.get(key, "")
    if not isinstance(value, str):
        raise InvalidRequestError(f"A '{block.get('type')}' block's '{key}' must be a string.", param="messages")
    return value


def _tool_result(block: dict[str, Any], i: int, j: int) -> tuple[str, list[dict[str, Any]]]:
    """The result's text, and its images (sent as parts of the user turn that follows the tool messages)."""
    content = block.get("content", "")
    if not isinstance(content, str) and not (isinstance(content, list) and all(isinstance(p, dict) for p in content)):
        raise InvalidRequestError("A tool_result's 'content' must be a string or a list of content blocks.",
                                  param="messages")
    if isinstance(content, str):
        text, images = content, []
    else:
        text = "".join(str(part.get("text", "")) for part in content if part.get("type") == "text")
        images = [{"type": "image_url", "image_url": {"url": _image_url(part, i, j)}}
                  for part in content if part.get("type") == "image"]
    return (f"Error: {text}" if block.get("is_error") else text), images


def _image_url(block: dict[str, Any], i: int, j: int) -> str:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64":
        return f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    if isinstance(source, dict) and source.get("type") == "url":
        return str(source.get("url", ""))
    raise InvalidRequestError(f"Image blocks need a 'base64' or 'url' source (messages[{i}].content[{j}]).",
                              param=f"messages[{i}].content[{j}]")


def _document(block: dict[str, Any], i: int, j: int) -> list[dict[str, Any]]:
    """A document as the target's file input (base64) or as text (text and content sources)."""
    raw = block.get("source")
    source: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kind, title = source.get("type"), block.get("title")
    heading = f"{title}\n\n" if isinstance(title, str) and title else ""
    if kind == "base64":
        media = source.get("media_type") or "application/pdf"
        file = {"file_data": f"data:{media};base64,{source.get('data', '')}",
                "filename": title if isinstance(title, str) and title else f"document-{i}-{j}.pdf"}
        return [{"type": "file", "file": file, **_cache(block)}]
    if kind == "text":
        return [{"type": "text", "text": heading + str(source.get("data", "")), **_cache(block)}]
    if kind == "content" and isinstance(source.get("content"), list):
        text = "\n".join(str(p.get("text", "")) for p in source["content"] if isinstance(p, dict))
        return [{"type": "text", "text": heading + text, **_cache(block)}]
    raise InvalidRequestError(f"The document block messages[{i}].content[{j}] has a '{kind}' source, which this "
                              "model cannot read; send the document as base64 or text.",
                              param=f"messages[{i}].content[{j}]")


def _top_level_cache(extra: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """Top-level ``cache_control`` (automatic caching) marks the end of the prompt: the last part."""
    cache = extra.get("cache_control")
    if not cache or not messages:
        return
    last = messages[-1]
    if isinstance(last.get("content"), list) and last["content"]:
        last["content"][-1] = {**last["content"][-1], "cache_control": cache}
    else:
        last["cache_control"] = cache


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
