"""Canonical chat request -> Ollama ``POST /api/chat`` body.

Ollama accepts OpenAI's function-tool format as is; what differs: images travel as a
base64 ``images`` list on the message, tool-call arguments are objects, sampling settings
live under ``options`` (``max_tokens`` is ``num_predict``), structured output is ``format``
(``"json"`` or a JSON schema) and reasoning is ``think``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.providers.images import load_image
from tollway.providers.tools import tool_arguments
from tollway.tokens import message_text

if TYPE_CHECKING:
    from tollway.types.chat import Message

#: canonical request field -> key under Ollama's ``options``
OPTION_NAMES = {
    "temperature": "temperature", "top_p": "top_p", "seed": "seed", "stop": "stop",
    "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty",
}
#: deployment settings (``litellm_params``) passed through: top-level fields and ``options`` keys
TOP_LEVEL_SETTINGS = ("keep_alive",)
OPTION_SETTINGS = ("num_ctx", "top_k", "min_p", "repeat_penalty", "num_gpu")


async def chat_body(body: dict[str, Any], messages: list[Message], settings: dict[str, Any], *,
                    drop_params: bool, stream: bool) -> dict[str, Any]:
    """The Ollama request from ``Provider.prepare``'s dict (defaults applied, unsupported removed)."""
    out: dict[str, Any] = {"model": body["model"], "messages": await _messages(messages), "stream": stream}
    options: dict[str, Any] = {}
    for name, option in OPTION_NAMES.items():
        if name in body:
            value = body[name]
            options[option] = [value] if name == "stop" and isinstance(value, str) else value
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit:
        options["num_predict"] = limit
    for key in OPTION_SETTINGS:
        if key in settings:
            options[key] = settings[key]
    if options:
        out["options"] = options
    for key in TOP_LEVEL_SETTINGS:
        if key in settings:
            out[key] = settings[key]
    if body.get("n", 1) > 1 and not drop_params:
        raise UnsupportedParamError("ollama returns one choice per request; 'n' must be 1", param="n")
    _tools(body, out, drop_params=drop_params)
    fmt = _format(body.get("response_format"))
    if fmt is not None:
        out["format"] = fmt
    effort = body.get("reasoning_effort")
    if effort:
        # gpt-oss takes a level; every other thinking model takes a boolean
        out["think"] = ("low" if effort == "minimal" else effort) if "gpt-oss" in body["model"] else True
    return out


def _tools(body: dict[str, Any], out: dict[str, Any], *, drop_params: bool) -> None:
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return
    if choice not in (None, "auto") and not drop_params:
        # Ollama has no way to force a tool call; "auto" is all it does
        raise UnsupportedParamError(
            "ollama cannot force a tool call; tool_choice must be 'auto' or 'none' "
            "(or set litellm_settings.drop_params: true to send the tools with 'auto')",
            param="tool_choice",
        )
    out["tools"] = [{"type": "function", "function": tool["function"]} for tool in tools]


def _format(response_format: dict[str, Any] | None) -> Any:
    if not response_format or response_format.get("type") == "text":
        return None
    if response_format["type"] == "json_object":
        return "json"
    schema = (response_format.get("json_schema") or {}).get("schema")
    if not isinstance(schema, dict):
        raise InvalidRequestError("response_format.json_schema.schema must be a JSON schema object",
                                  param="response_format")
    return schema


async def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    names: dict[str, str] = {}  # tool_call_id -> function name, for tool results
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.role
        if role in ("system", "developer"):
            out.append({"role": "system", "content": message_text(message.content)})
        elif role == "user":
            out.append(await _user(message.content))
        elif role == "assistant":
            item: dict[str, Any] = {"role": "assistant", "content": message_text(message.content)}
            thinking = getattr(message, "reasoning_content", None)
            if thinking:
                item["thinking"] = thinking
            calls = getattr(message, "tool_calls", None) or []
            if calls:
                item["tool_calls"] = [
                    {"function": {"name": call.function.name, "arguments": tool_arguments(call.function.arguments)}}
                    for call in calls
                ]
                names.update({call.id: call.function.name for call in calls})
            out.append(item)
        elif role == "tool":
            item = {"role": "tool", "content": message_text(message.content)}
            name = names.get(getattr(message, "tool_call_id", ""))
            if name:
                item["tool_name"] = name
            out.append(item)
        else:  # legacy "function" role: a tool result named by the function
            out.append({"role": "tool", "content": message.content or "", "tool_name": getattr(message, "name", "")})
    return out


async def _user(content: Any) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": "user", "content": content}
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        if part.type == "text":
            texts.append(part.text)
        elif part.type == "image_url":
            images.append((await load_image(part.image_url.url)).base64)
        else:
            raise InvalidRequestError(f"ollama does not accept '{part.type}' content parts", param="messages")
    item: dict[str, Any] = {"role": "user", "content": "\n".join(texts)}
    if images:
        item["images"] = images
    return item
