"""OpenAI chat request -> Gemini ``GenerateContentRequest`` (shared by AI Studio and Vertex AI).

Contract: the input is the prepared request dict (``Provider.prepare``); the output is the
JSON body for ``:generateContent`` / ``:streamGenerateContent``. Images given as http(s)
URLs are fetched safely (``tollway.providers.images``) because Gemini takes bytes;
``gs://`` and Gemini Files API URIs are passed by reference. Anything that cannot be
expressed is a 400 naming the parameter, never a silent change of meaning.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.providers.gemini.schema import has_properties, to_gemini_schema
from tollway.providers.gemini.toolids import signature_of
from tollway.providers.images import load_image, parse_data_uri
from tollway.providers.reasoning import thinking_budget
from tollway.providers.tools import tool_arguments

_FILES_API = "https://generativelanguage.googleapis.com/"
#: what Google documents for function calls whose real signature is unknown
PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"
_TOOL_CHOICE = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


async def build_body(body: dict[str, Any], *, drop_params: bool = False) -> dict[str, Any]:
    """The Gemini request body for a prepared OpenAI chat request."""
    system, contents = await _contents(body["messages"])
    if "gemini-3" in str(body.get("model", "")):
        _sign_foreign_calls(contents)
    out: dict[str, Any] = {"contents": contents}
    if system:
        if contents:
            out["systemInstruction"] = {"parts": [{"text": text} for text in system]}
        else:  # Gemini needs at least one turn; a system-only request becomes the user's turn
            out["contents"] = [{"role": "user", "parts": [{"text": "\n\n".join(system)}]}]
    tools = _tools(body)
    if tools:
        out["tools"] = [{"functionDeclarations": tools}]
        tool_config = _tool_config(body)
        if tool_config:
            out["toolConfig"] = tool_config
    if body.get("parallel_tool_calls") is False and not drop_params:
        raise UnsupportedParamError(
            "gemini cannot disable parallel tool calls (remove 'parallel_tool_calls', or set "
            "litellm_settings.drop_params: true)", param="parallel_tool_calls",
        )
    config = generation_config(body)
    if config:
        out["generationConfig"] = config
    return out


# ----------------------------------------------------------------------------- messages


async def _contents(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> function name (Gemini answers by name)
    for index, message in enumerate(messages):
        role = message["role"]
        if role in ("system", "developer"):
            text = _text(message.get("content"))
            if text:
                system.append(text)
        elif role == "user":
            _append(contents, "user", await _user_parts(message.get("content")))
        elif role == "assistant":
            _append(contents, "model", _assistant_parts(message, names, index))
        elif role == "tool":
            call_id = message.get("tool_call_id", "")
            name = names.get(call_id)
            if name is None:
                raise InvalidRequestError(
                    f"messages[{index}]: tool_call_id '{call_id}' does not match any earlier assistant tool call",
                    param="messages",
                )
            _append(contents, "user", [_function_response(name, message.get("content"))])
        elif role == "function":
            _append(contents, "user", [_function_response(message["name"], message.get("content"))])
    return system, contents


def _append(contents: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    """Add a turn, merging into the previous one when the role repeats (Gemini wants alternation)."""
    if not parts:
        return
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


async def _user_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    parts: list[dict[str, Any]] = []
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            parts.append({"text": part["text"]})
        elif kind == "image_url":
            parts.append(await _media_part(part["image_url"]["url"]))
        elif kind == "input_audio":
            audio = part["input_audio"]
            parts.append({"inlineData": {"mimeType": f"audio/{audio['format']}", "data": audio["data"]}})
        elif kind == "file":
            parts.append(_file_part(part["file"]))
    return parts or [{"text": ""}]


async def _media_part(url: str) -> dict[str, Any]:
    if url.startswith("gs://") or url.startswith(_FILES_API):
        mime = mimetypes.guess_type(url)[0] or "application/octet-stream"
        return {"fileData": {"mimeType": mime, "fileUri": url}}
    image = await load_image(url)
    return {"inlineData": {"mimeType": image.media_type, "data": image.base64}}


def _file_part(file: dict[str, Any]) -> dict[str, Any]:
    data = file.get("file_data")
    if isinstance(data, str) and data.startswith("data:"):
        decoded = parse_data_uri(data)
        return {"inlineData": {"mimeType": decoded.media_type, "data": decoded.base64}}
    raise InvalidRequestError("gemini accepts files only as 'file_data' data URIs", param="messages")


def _assistant_parts(message: dict[str, Any], names: dict[str, str], index: int) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    text = _text(message.get("content"))
    if text:
        parts.append({"text": text})
    calls = list(message.get("tool_calls") or [])
    if message.get("function_call"):
        legacy = message["function_call"]
        calls.append({"id": f"legacy_{legacy['name']}", "function": legacy})
    for call in calls:
        function = call["function"]
        names[call["id"]] = function["name"]
        args = tool_arguments(function.get("arguments"), where=f"messages[{index}]")
        part: dict[str, Any] = {"functionCall": {"name": function["name"], "args": args}}
        signature = signature_of(call["id"])
        if signature:
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts


def _sign_foreign_calls(contents: list[dict[str, Any]]) -> None:
    """Gemini 3 rejects a model turn whose first function call lacks a thought signature; calls
    that came from another model (or a client that rebuilt the history) get Google's documented
    placeholder so a conversation can move to Gemini mid-way."""
    for content in contents:
        if content["role"] != "model":
            continue
        first = next((part for part in content["parts"] if "functionCall" in part), None)
        if first is not None and "thoughtSignature" not in first:
            first["thoughtSignature"] = PLACEHOLDER_SIGNATURE


def _function_response(name: str, content: Any) -> dict[str, Any]:
    """Gemini wants an object; JSON objects pass as-is, anything else goes under ``output``."""
    text = _text(content)
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    response = value if isinstance(value, dict) else {"output": value}
    return {"functionResponse": {"name": name, "response": response}}


# ----------------------------------------------------------------------------- tools


def _tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    functions = [tool["function"] for tool in body.get("tools") or [] if tool.get("type", "function") == "function"]
    functions += body.get("functions") or []
    declarations = []
    for function in functions:
        declaration: dict[str, Any] = {"name": function["name"]}
        if function.get("description"):
            declaration["description"] = function["description"]
        if has_properties(function.get("parameters")):
            declaration["parameters"] = to_gemini_schema(function["parameters"])
        declarations.append(declaration)
    return declarations


def _tool_config(body: dict[str, Any]) -> dict[str, Any] | None:
    choice = body.get("tool_choice")
    if choice is None and body.get("function_call") is not None:
        legacy = body["function_call"]
        choice = legacy if isinstance(legacy, str) else {"function": legacy}
    if choice is None:
        return None
    if isinstance(choice, str):
        return {"functionCallingConfig": {"mode": _TOOL_CHOICE[choice]}}
    name = choice["function"]["name"]
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}


# ----------------------------------------------------------------------------- generation config


def generation_config(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    simple = {"temperature": "temperature", "top_p": "topP", "n": "candidateCount", "seed": "seed",
              "presence_penalty": "presencePenalty", "frequency_penalty": "frequencyPenalty"}
    for ours, theirs in simple.items():
        if body.get(ours) is not None:
            config[theirs] = body[ours]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit:
        config["maxOutputTokens"] = limit
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if body.get("logprobs"):
        config["responseLogprobs"] = True
        if body.get("top_logprobs"):
            config["logprobs"] = body["top_logprobs"]
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_object":
        config["responseMimeType"] = "application/json"
    elif fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        config["responseMimeType"] = "application/json"
        if isinstance(schema, dict):
            config["responseJsonSchema"] = {k: v for k, v in schema.items() if k != "$schema"}
    budget = thinking_budget(body.get("reasoning_effort"))
    if budget is not None:
        config["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": True}
    return config
