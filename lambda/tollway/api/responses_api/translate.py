"""Responses API requests -> the canonical chat request; canonical answers -> Response objects.

Only for crossing formats: an OpenAI or Azure deployment could take the request as sent.
Anything the canonical model cannot carry is a 400 naming the item and field (or, for tools
and parameters, dropped under ``drop_params``) — never lost in silence.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.types.chat import ChatRequest

if TYPE_CHECKING:
    from tollway.api.responses_api.models import ResponsesRequest
    from tollway.types.chat import ChatResponse, Usage

#: reasoning efforts the canonical model knows; the Responses API's extremes map to the nearest
_EFFORT = {"minimal": "minimal", "low": "low", "medium": "medium", "high": "high", "xhigh": "high"}
#: how a namespaced function (``{"type": "namespace", "name": "crm", "tools": [...]}``) is named for
#: providers without namespaces; calls are split back into ``namespace`` and ``name``
NAMESPACE_SEPARATOR = "__"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24 if prefix == 'resp' else 16)}"


def input_items(body: ResponsesRequest) -> list[dict[str, Any]]:
    """The request's ``input`` as a list of items (a string is one user message)."""
    if body.input is None:
        return []
    if isinstance(body.input, str):
        return [{"type": "message", "role": "user", "content": body.input}]
    return body.input


def to_chat_request(body: ResponsesRequest, history: list[dict[str, Any]], *, drop_params: bool) -> ChatRequest:
    """The canonical request for ``history`` (earlier turns' items) plus this request's input."""
    messages: list[dict[str, Any]] = []
    if body.instructions:
        messages.append({"role": "system", "content": _text(body.instructions, "instructions")})
    messages += to_messages([*history, *input_items(body)], offset=-len(history))
    if not messages:
        raise InvalidRequestError("Missing required parameter: 'input'.", param="input")
    fields: dict[str, Any] = {"model": body.model, "messages": messages}
    for name in ("temperature", "top_p", "user", "parallel_tool_calls"):
        value = getattr(body, name)
        if value is not None:
            fields[name] = value
    if body.max_output_tokens is not None:
        fields["max_completion_tokens"] = body.max_output_tokens
    if body.top_logprobs is not None or "message.output_text.logprobs" in (body.include or ()):
        fields["logprobs"] = True
        if body.top_logprobs is not None:
            fields["top_logprobs"] = body.top_logprobs
    effort = (body.reasoning or {}).get("effort")
    if effort in _EFFORT:
        fields["reasoning_effort"] = _EFFORT[effort]
    fields.update(_tools(body, drop_params=drop_params))
    fields.update(_text_format(body.text, drop_params=drop_params))
    try:
        return ChatRequest.model_validate(fields)
    except ValueError as exc:
        raise InvalidRequestError(f"The request could not be translated for this model: {exc}") from None


def to_messages(items: list[dict[str, Any]], *, offset: int = 0) -> list[dict[str, Any]]:
    """Items -> chat messages. ``offset`` shifts reported indexes so they name the client's ``input``."""
    messages: list[dict[str, Any]] = []
    reasoning: list[str] = []
    for index, item in enumerate(items):
        where = f"input[{index + offset}]" if index + offset >= 0 else "previous_response_id"
        if not isinstance(item, dict):
            raise InvalidRequestError(f"Invalid value for '{where}': an item must be an object.", param=where)
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            message = _message(item, where)
            if message["role"] == "assistant" and reasoning:
                message["reasoning_content"] = "\n".join(reasoning)
                reasoning = []
            messages.append(message)
        elif kind == "function_call":
            name = _required(item, "name", where)
            if isinstance(item.get("namespace"), str) and item["namespace"]:
                name = f"{item['namespace']}{NAMESPACE_SEPARATOR}{name}"
            call = {"id": _required(item, "call_id", where), "type": "function",
                    "function": {"name": name, "arguments": item.get("arguments") or ""}}
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and not reasoning:
                last.setdefault("tool_calls", []).append(call)
            else:
                message = {"role": "assistant", "content": None, "tool_calls": [call]}
                if reasoning:
                    message["reasoning_content"] = "\n".join(reasoning)
                    reasoning = []
                messages.append(message)
        elif kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": _required(item, "call_id", where),
                             "content": _tool_output(item.get("output"), f"{where}.output")})
        elif kind == "reasoning":
            parts = item.get("summary") or item.get("content") or []
            text = "\n".join(p.get("text", "") for p in parts if isinstance(p, dict) and p.get("text"))
            if text:
                reasoning.append(text)
        elif kind == "item_reference":
            raise InvalidRequestError(f"Invalid value for '{where}': item references are not supported here; send "
                                      "the item itself or use 'previous_response_id'.", param=where)
        else:
            raise InvalidRequestError(f"Invalid value for '{where}.type': '{kind}' items cannot be sent to this "
                                      "model.", param=f"{where}.type")
    return messages


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    content = item.get("content")
    if role in ("system", "developer"):
        return {"role": role, "content": _text(content, f"{where}.content")}
    if role == "assistant":
        return {"role": "assistant", "content": _text(content, f"{where}.content")}
    if role != "user":
        raise InvalidRequestError(f"Invalid value for '{where}.role': expected 'user', 'assistant', 'system' or "
                                  "'developer'.", param=f"{where}.role")
    if isinstance(content, str):
        return {"role": "user", "content": content}
    if not isinstance(content, list):
        raise InvalidRequestError(f"Invalid value for '{where}.content': expected a string or a list of parts.",
                                  param=f"{where}.content")
    return {"role": "user", "content": [_user_part(part, f"{where}.content[{i}]") for i, part in enumerate(content)]}


def _user_part(part: Any, where: str) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": _required(part, "text", where)}
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str) or not url:
            raise InvalidRequestError(f"Invalid value for '{where}': only images given by 'image_url' (a URL or a "
                                      "data: URL) can be sent to this model; file ids cannot.", param=where)
        image: dict[str, Any] = {"url": url}
        if part.get("detail") in ("auto", "low", "high"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        file = {k: part[k] for k in ("file_data", "filename", "file_id", "file_url") if part.get(k)}
        if not file:
            raise InvalidRequestError(f"Missing required parameter: '{where}.file_data'.", param=where)
        return {"type": "file", "file": file}
    raise InvalidRequestError(f"Invalid value for '{where}.type': '{kind}' is not an input part this model takes "
                              "('input_text', 'input_image', 'input_file').", param=f"{where}.type")


def _tool_output(output: Any, where: str) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(isinstance(p, dict) and p.get("type") in ("input_text", "output_text")
                                        for p in output):
        return "".join(str(p.get("text", "")) for p in output)
    raise InvalidRequestError(f"Invalid value for '{where}': only text tool outputs can be sent to this model.",
                              param=where)


def _text(content: Any, where: str) -> str:
    """Plain text from a string or a list of text parts (system, developer and assistant turns)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind in ("input_text", "output_text", "text"):
                texts.append(str(part.get("text", "")))
            elif kind == "refusal":
                texts.append(str(part.get("refusal", "")))
            else:
                raise InvalidRequestError(f"Invalid value for '{where}[{i}].type': only text parts are allowed "
                                          "here.", param=f"{where}[{i}].type")
        return "".join(texts)
    if content is None:
        return ""
    raise InvalidRequestError(f"Invalid value for '{where}': expected a string or a list of text parts.", param=where)


def _required(item: dict[str, Any], name: str, where: str) -> Any:
    value = item.get(name)
    if not isinstance(value, str) or (value == "" and name != "text"):
        raise InvalidRequestError(f"Missing required parameter: '{where}.{name}'.", param=f"{where}.{name}")
    return value


def _tools(body: ResponsesRequest, *, drop_params: bool) -> dict[str, Any]:
    tools: list[dict[str, Any]] = []
    for i, tool in enumerate(body.tools or []):
        if tool.get("type") == "function" and tool.get("name"):
            tools.append(_function(tool))
        elif tool.get("type") == "namespace" and tool.get("name"):
            for j, inner in enumerate(tool.get("tools") or []):
                if isinstance(inner, dict) and inner.get("type") == "function" and inner.get("name"):
                    tools.append(_function(inner, namespace=tool["name"]))
                elif not drop_params:
                    raise UnsupportedParamError(f"The tool 'tools[{i}].tools[{j}]' of type '{inner.get('type')}' "
                                                "cannot be sent to this model (set drop_params to drop it).",
                                                param=f"tools[{i}].tools[{j}].type")
        elif not drop_params:
            raise UnsupportedParamError(f"The tool 'tools[{i}]' of type '{tool.get('type')}' is OpenAI's own and "
                                        "cannot be sent to this model (set drop_params to drop it).",
                                        param=f"tools[{i}].type")
    fields: dict[str, Any] = {"tools": tools} if tools else {}
    choice = body.tool_choice
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise InvalidRequestError(f"Invalid value for 'tool_choice': '{choice}'.", param="tool_choice")
        if tools:
            fields["tool_choice"] = choice
    elif isinstance(choice, dict):
        if choice.get("type") == "function" and choice.get("name"):
            fields["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
        elif choice.get("type") == "allowed_tools":
            allowed = {t.get("name") for t in choice.get("tools") or [] if isinstance(t, dict)}
            fields["tools"] = [t for t in tools if t["function"]["name"] in allowed]
            fields["tool_choice"] = "required" if choice.get("mode") == "required" else "auto"
        elif not drop_params:
            raise UnsupportedParamError(f"The tool choice '{choice.get('type')}' cannot be sent to this model.",
                                        param="tool_choice")
    return fields


def _function(tool: dict[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None}
    if namespace:
        function["name"] = f"{namespace}{NAMESPACE_SEPARATOR}{function['name']}"
    return {"type": "function", "function": function}


def namespaces(body: ResponsesRequest) -> frozenset[str]:
    """The names of the request's namespace tools (to split flattened call names back)."""
    return frozenset(t["name"] for t in body.tools or [] if t.get("type") == "namespace" and t.get("name"))


def _text_format(text: dict[str, Any] | None, *, drop_params: bool) -> dict[str, Any]:
    text = text or {}
    verbosity = text.get("verbosity")
    if verbosity not in (None, "medium") and not drop_params:
        raise UnsupportedParamError("'text.verbosity' cannot be sent to this model (set drop_params to drop it).",
                                    param="text.verbosity")
    fmt = text.get("format") or {}
    kind = fmt.get("type")
    if kind in (None, "text"):
        return {}
    if kind == "json_object":
        return {"response_format": {"type": "json_object"}}
    if kind == "json_schema":
        if not isinstance(fmt.get("schema"), dict):
            raise InvalidRequestError("Missing required parameter: 'text.format.schema'.", param="text.format.schema")
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if fmt.get(k) is not None}
        schema.setdefault("name", "response")
        return {"response_format": {"type": "json_schema", "json_schema": schema}}
    raise InvalidRequestError(f"Invalid value for 'text.format.type': '{kind}'.", param="text.format.type")


# ----------------------------------------------------------------------------- responses


def usage_block(usage: Usage | None) -> dict[str, Any]:
    if usage is None:
        return {"input_tokens": 0, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": 0, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 0}
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens,
                                 "cache_write_tokens": usage.cache_creation_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    }


def skeleton(body: ResponsesRequest, response_id: str, *, created_at: int | None = None) -> dict[str, Any]:
    """A Response object echoing the request, with no output yet (status ``in_progress``)."""
    tool_choice: Any = body.tool_choice if body.tool_choice is not None else "auto"
    return {
        "id": response_id, "object": "response", "created_at": created_at or int(time.time()),
        "status": "in_progress", "background": False, "error": None, "incomplete_details": None,
        "instructions": body.instructions, "max_output_tokens": body.max_output_tokens, "model": body.model,
        "output": [], "parallel_tool_calls": body.parallel_tool_calls is not False,
        "previous_response_id": body.previous_response_id, "reasoning": body.reasoning or {"effort": None,
                                                                                           "summary": None},
        "store": body.stores, "temperature": body.temperature, "text": body.text or {"format": {"type": "text"}},
        "tool_choice": tool_choice, "tools": body.tools or [], "top_p": body.top_p,
        "truncation": body.truncation or "disabled", "usage": None, "user": body.user,
        "metadata": body.metadata or {},
    }


def finished(response: dict[str, Any], finish_reason: str | None, usage: Usage | None) -> dict[str, Any]:
    """Mark a response done: ``completed``, or ``incomplete`` with the reason the model stopped early."""
    reason = {"length": "max_output_tokens", "content_filter": "content_filter"}.get(finish_reason or "")
    response["status"] = "incomplete" if reason else "completed"
    response["incomplete_details"] = {"reason": reason} if reason else None
    if not reason:
        response["completed_at"] = int(time.time())
    response["usage"] = usage_block(usage)
    return response


def to_response(chat: ChatResponse, body: ResponsesRequest, response_id: str) -> dict[str, Any]:
    """A non-streamed canonical answer as a Response object (first choice only: Responses has no ``n``)."""
    response = skeleton(body, response_id, created_at=chat.created)
    choice = chat.choices[0] if chat.choices else None
    if choice is not None:
        message = choice.message
        if message.reasoning_content:
            response["output"].append(reasoning_item(new_id("rs"), message.reasoning_content))
        content: list[dict[str, Any]] = []
        if message.content:
            content.append(output_text(message.content))
        if message.refusal:
            content.append({"type": "refusal", "refusal": message.refusal})
        if content:
            response["output"].append({"id": new_id("msg"), "type": "message", "role": "assistant",
                                       "status": "completed", "content": content})
        for call in message.tool_calls or []:
            response["output"].append(function_call_item(new_id("fc"), call.id, call.function.name,
                                                         call.function.arguments, spaces=namespaces(body)))
    return finished(response, choice.finish_reason if choice else None, chat.usage)


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def reasoning_item(item_id: str, text: str) -> dict[str, Any]:
    return {"id": item_id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}


def function_call_item(item_id: str, call_id: str, name: str, arguments: str, *, status: str = "completed",
                       spaces: frozenset[str] = frozenset()) -> dict[str, Any]:
    item = {"id": item_id, "type": "function_call", "call_id": call_id, "name": name, "arguments": arguments,
            "status": status}
    space, _, inner = name.partition(NAMESPACE_SEPARATOR)
    if inner and space in spaces:
        item.update(namespace=space, name=inner)
    return item


def output_as_input(output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stored response's output items, as the next turn's history sees them."""
    return [item for item in output if item.get("type") in ("message", "function_call", "reasoning")]
