"""Canonical (OpenAI-shaped) requests -> Cohere v2 ``/v2/chat`` and ``/v2/embed`` bodies.

Cohere differs from OpenAI in names (``p``, ``k``, ``stop_sequences``), in ``tool_choice``
(only ``REQUIRED`` / ``NONE``; a named tool is forced by sending only that tool with
``REQUIRED``), in ``response_format`` (``json_object`` with an optional ``json_schema``), in
reasoning (``thinking: {type, token_budget}``) and in the assistant's ``tool_plan``, which
carries the text a model says before calling tools (OpenAI's assistant ``content`` next to
``tool_calls``).
"""

from __future__ import annotations

from typing import Any

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.providers.reasoning import thinking_budget

#: OpenAI request fields Cohere's v2 Chat API has no equivalent for
UNSUPPORTED = frozenset({
    "logit_bias", "logprobs", "top_logprobs", "audio", "modalities", "prediction", "service_tier",
    "functions", "function_call",
})

_SIMPLE = {
    "temperature": "temperature", "top_p": "p", "seed": "seed", "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
}


def chat_body(body: dict[str, Any], *, drop_params: bool, extras: dict[str, Any]) -> dict[str, Any]:
    """The ``/v2/chat`` body for ``body`` (a prepared canonical request dict)."""
    out: dict[str, Any] = {"model": body["model"], "messages": [_message(m) for m in body["messages"]]}
    for ours, theirs in _SIMPLE.items():
        if body.get(ours) is not None:
            out[theirs] = body[ours]
    if "p" in out:
        # Cohere's p lives in [0.01, 0.99]; OpenAI's top_p 1.0 ("no nucleus cut") is its 0.99
        out["p"] = min(0.99, max(0.01, out["p"]))
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit:
        out["max_tokens"] = limit
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if extras.get("top_k") is not None:
        out["k"] = extras["top_k"]
    if (body.get("n") or 1) > 1:
        _unsupported("n", "n > 1 (Cohere returns one answer per request)", drop_params)
    if body.get("parallel_tool_calls") is False:
        _unsupported("parallel_tool_calls", "parallel_tool_calls: false", drop_params)
    _tools(body, out)
    _response_format(body.get("response_format"), out)
    budget = thinking_budget(body.get("reasoning_effort"))
    if budget:
        out["thinking"] = {"type": "enabled", "token_budget": budget}
    for key in ("safety_mode", "thinking", "citation_options", "strict_tools", "priority"):
        if key in extras and key not in out:
            out[key] = extras[key]
    return out


def embed_body(model: str, texts: list[str], *, dimensions: int | None, extras: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model": model, "texts": texts, "input_type": extras.get("input_type") or "search_document",
        "embedding_types": ["float"],
    }
    if dimensions is not None:
        out["output_dimension"] = dimensions
    if extras.get("truncate"):
        out["truncate"] = extras["truncate"]
    return out


# ----------------------------------------------------------------------------- messages


def _message(message: dict[str, Any]) -> dict[str, Any]:
    role = message["role"]
    if role in ("system", "developer"):
        return {"role": "system", "content": _text(message["content"])}
    if role == "user":
        content = message["content"]
        return {"role": "user", "content": content if isinstance(content, str) else [_part(p) for p in content]}
    if role == "assistant":
        return _assistant(message)
    if role == "tool":
        return {"role": "tool", "tool_call_id": message["tool_call_id"], "content": _text(message["content"])}
    raise InvalidRequestError(f"cohere does not support messages with role '{role}'; use tools and role 'tool'",
                              param="messages")


def _assistant(message: dict[str, Any]) -> dict[str, Any]:
    text = _text(message.get("content") or "")
    calls = message.get("tool_calls")
    out: dict[str, Any] = {"role": "assistant"}
    if calls:
        out["tool_calls"] = [
            {"id": c["id"], "type": "function",
             "function": {"name": c["function"]["name"], "arguments": c["function"].get("arguments") or "{}"}}
            for c in calls
        ]
        if text:
            out["tool_plan"] = text
    else:
        out["content"] = text
    return out


def _part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": part["text"]}
    if kind == "image_url":
        image = {"url": part["image_url"]["url"]}
        if part["image_url"].get("detail"):
            image["detail"] = part["image_url"]["detail"]
        return {"type": "image_url", "image_url": image}
    raise InvalidRequestError(f"cohere does not accept '{kind}' content parts", param="messages")


def _text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text") or p.get("refusal") or "" for p in content)


# ----------------------------------------------------------------------------- tools and formats


def _tools(body: dict[str, Any], out: dict[str, Any]) -> None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        # Cohere cannot name a tool: offer only that one and require a call.
        name = choice.get("function", {}).get("name")
        tools = [t for t in tools if t["function"]["name"] == name]
        if not tools:
            raise InvalidRequestError(f"tool_choice names '{name}', which is not in tools", param="tool_choice")
        out["tool_choice"] = "REQUIRED"
    elif choice == "required":
        out["tool_choice"] = "REQUIRED"
    elif choice == "none" and tools:
        out["tool_choice"] = "NONE"
    if tools:
        out["tools"] = [_tool(t["function"]) for t in tools]
        if any(t["function"].get("strict") for t in tools):
            out["strict_tools"] = True


def _tool(function: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": function["name"],
                            "parameters": function.get("parameters") or {"type": "object", "properties": {}}}
    if function.get("description"):
        spec["description"] = function["description"]
    return {"type": "function", "function": spec}


def _response_format(fmt: dict[str, Any] | None, out: dict[str, Any]) -> None:
    if not fmt or fmt.get("type") == "text":
        return
    if fmt["type"] == "json_object":
        out["response_format"] = {"type": "json_object"}
        return
    schema = (fmt.get("json_schema") or {}).get("schema")
    out["response_format"] = {"type": "json_object", **({"json_schema": schema} if schema else {})}


def _unsupported(param: str, what: str, drop_params: bool) -> None:
    if not drop_params:
        raise UnsupportedParamError(
            f"cohere does not support {what} (remove it, or set litellm_settings.drop_params: true to drop it)",
            param=param,
        )
