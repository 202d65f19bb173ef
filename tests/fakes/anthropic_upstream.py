"""A fake Anthropic Messages API (``POST /v1/messages``) speaking the real JSON and SSE protocol.

Tests script answers (``fake.queue``: an error status and body, a fixed message, or a stream that
fails midway) and read what it received (``fake.requests`` / ``fake.headers``). By default it
answers like Claude would: a ``tool_use`` block when ``tool_choice`` forces a tool (or, with a
``Read`` tool, when the last user text says ``please read <path>``), a signed thinking block
first when thinking is enabled (or adaptive), otherwise text echoing the last user turn (tool
results, documents and images counted). Like Anthropic, with thinking on it refuses a tool-use
turn whose assistant message does not replay the signed thinking block it issued. Usage
reports cache reads when the request carries any ``cache_control``.
``POST /v1/messages/count_tokens`` answers ``count(body)``. Vertex AI's Claude endpoints
(``.../publishers/anthropic/models/{model}:rawPredict`` and ``:streamRawPredict``) take the same
body without ``model`` and with ``anthropic_version: vertex-2023-10-16``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.openai_upstream import Scripted

__all__ = ["FakeAnthropic", "Scripted"]


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.queue: list[Scripted] = []
        #: what it answered, byte for byte: one body, or the stream's events
        self.sent: list[list[bytes]] = []
        self.app = Starlette(routes=[Route("/v1/messages", self.messages, methods=["POST"]),
                                     Route("/v1/messages/count_tokens", self.count_tokens, methods=["POST"]),
                                     Route("/v1/projects/{project}/locations/{location}/publishers/anthropic/models/"
                                           "{call:path}", self.vertex, methods=["POST"])])
        #: the Vertex paths called, in order
        self.paths: list[str] = []

    def reset(self) -> None:
        self.paths.clear()
        self.sent.clear()
        self.requests.clear()
        self.headers.clear()
        self.queue.clear()

    async def vertex(self, request: Request) -> Response:
        model, _, method = request.path_params["call"].partition(":")
        self.paths.append(request.url.path)
        return await self.messages(request, vertex=(model, method == "streamRawPredict"))

    async def messages(self, request: Request, vertex: tuple[str, bool] | None = None) -> Response:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if vertex is not None:
            if body.get("anthropic_version") != "vertex-2023-10-16" or "model" in body:
                return JSONResponse({"error": {"code": 400, "message": "bad vertex body",
                                               "status": "INVALID_ARGUMENT"}}, status_code=400)
            body = {**body, "model": vertex[0], **({"stream": True} if vertex[1] else {})}
        script = self.queue.pop(0) if self.queue else None
        if script and script.status >= 400:
            return JSONResponse(script.body, status_code=script.status, headers=script.headers)
        refusal = check_thinking_replay(body)
        if refusal:
            return JSONResponse({"type": "error", "error": {"type": "invalid_request_error", "message": refusal}},
                                status_code=400)
        message = script.body if script and script.body else reply(body)
        sent: list[bytes] = []
        self.sent.append(sent)
        if body.get("stream"):
            return StreamingResponse(_stream(message, script, sent), media_type="text/event-stream")
        response = JSONResponse(message)
        sent.append(bytes(response.body))
        return response


    async def count_tokens(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        return JSONResponse({"input_tokens": count(body)})


def count(body: dict[str, Any]) -> int:
    """The fake's token count: a deterministic function of what was sent."""
    return 3 + len(json.dumps([body.get("system"), body["messages"], body.get("tools")])) // 4


#: shaped like Anthropic's (opaque base64, a few hundred characters)
SIGNATURE = "EqQBCkgIBRABGAIiQHp" + "Zm9vYmFy" * 20


def _thinking_on(body: dict[str, Any]) -> bool:
    return (body.get("thinking") or {}).get("type") in ("enabled", "adaptive")


def check_thinking_replay(body: dict[str, Any]) -> str | None:
    """Anthropic's documented rule for extended thinking (``type: enabled``): an assistant turn that used a tool
    starts with the signed thinking block of that turn, sent back unchanged. (Claude Code omits the block under
    adaptive thinking, so the fake does not enforce the rule there.)"""
    if (body.get("thinking") or {}).get("type") != "enabled":
        return None
    for index, message in enumerate(body["messages"]):
        content = message["content"]
        if message["role"] != "assistant" or isinstance(content, str):
            continue
        if not any(block["type"] == "tool_use" for block in content):
            continue
        first = content[0]
        if first["type"] not in ("thinking", "redacted_thinking"):
            return (f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                    f"`{first['type']}`. When `thinking` is enabled, a final `assistant` message must start with "
                    "a thinking block.")
        if first["type"] == "thinking" and first.get("signature") != SIGNATURE:
            return f"messages.{index}.content.0: Invalid `signature` in `thinking` block"
    return None


_READ = re.compile(r"please read (\S+)", re.I)


def _last_user_text(body: dict[str, Any]) -> tuple[str, int]:
    last = next(m for m in reversed(body["messages"]) if m["role"] == "user")  # system turns may follow it
    content = last["content"]
    if isinstance(content, str):
        return content, 0
    texts, images = [], 0
    for block in content:
        if block["type"] == "text":
            texts.append(block["text"])
        elif block["type"] == "tool_result":
            result = block.get("content")
            texts.append(result if isinstance(result, str) else " ".join(b["text"] for b in result if "text" in b))
            if isinstance(result, list):
                images += sum(1 for b in result if b.get("type") == "image")
        elif block["type"] in ("image", "document"):
            images += 1
    return " ".join(texts), images


def _has_cache_control(value: Any) -> bool:
    if isinstance(value, dict):
        return "cache_control" in value or any(_has_cache_control(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cache_control(v) for v in value)
    return False


def reply(body: dict[str, Any]) -> dict[str, Any]:
    """The message Claude would plausibly send back for ``body``."""
    content: list[dict[str, Any]] = []
    if _thinking_on(body):
        content.append({"type": "thinking", "thinking": "Let me think step by step.", "signature": SIGNATURE})
    choice = body.get("tool_choice") or {}
    text, images = _last_user_text(body)
    wants_read = _READ.search(text) if any(t.get("name") == "Read" for t in body.get("tools") or []) else None
    if choice.get("type") in ("tool", "any"):
        name = choice.get("name") or body["tools"][0]["name"]
        content.append({"type": "tool_use", "id": "toolu_fake1", "name": name, "input": {"city": "Paris"}})
        stop = "tool_use"
    elif wants_read:
        content.append({"type": "tool_use", "id": "toolu_read1", "name": "Read",
                        "input": {"file_path": wants_read.group(1)}})
        stop = "tool_use"
    else:
        suffix = f" [{images} image(s)]" if images else ""
        content.append({"type": "text", "text": f"echo: {text}{suffix}"})
        stop = "end_turn"
    cached = _has_cache_control(body.get("system")) or _has_cache_control(body.get("tools")) \
        or _has_cache_control(body["messages"])
    usage = {"input_tokens": 11, "output_tokens": 5, "cache_read_input_tokens": 100 if cached else 0,
             "cache_creation_input_tokens": 20 if cached else 0}
    return {"id": "msg_fake123", "type": "message", "role": "assistant", "model": body["model"],
            "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps({'type': event, **data})}\n\n"


def stream_payloads(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The events' JSON payloads (``type`` first, as Anthropic sends them)."""
    payloads = []
    for event in stream_events(message):
        data = event.split("data: ", 1)[1]
        payloads.append(json.loads(data))
    return payloads


def stream_events(message: dict[str, Any]) -> list[str]:
    """The SSE events Anthropic sends for ``message`` (text and JSON split into pieces)."""
    usage = message["usage"]
    start_usage = {**usage, "output_tokens": 1}
    events = [_sse("message_start", {"message": {**message, "content": [], "stop_reason": None,
                                                 "usage": start_usage}}),
              _sse("ping", {})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append(_sse("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}))
            words = block["text"].split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                events.append(_sse("content_block_delta", {"index": index,
                                                           "delta": {"type": "text_delta", "text": piece}}))
        elif block["type"] == "thinking":
            events.append(_sse("content_block_start", {"index": index, "content_block": {
                "type": "thinking", "thinking": "", "signature": ""}}))
            for i, word in enumerate(block["thinking"].split(" ")):
                events.append(_sse("content_block_delta", {"index": index, "delta": {
                    "type": "thinking_delta", "thinking": word if i == 0 else " " + word}}))
            events.append(_sse("content_block_delta", {"index": index, "delta": {"type": "signature_delta",
                                                                                 "signature": block["signature"]}}))
        elif block["type"] == "redacted_thinking":
            events.append(_sse("content_block_start", {"index": index, "content_block": block}))
        elif block["type"] == "tool_use":
            events.append(_sse("content_block_start", {"index": index, "content_block": {
                "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}))
            arguments = json.dumps(block["input"])
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                events.append(_sse("content_block_delta", {"index": index, "delta": {"type": "input_json_delta",
                                                                                     "partial_json": piece}}))
        events.append(_sse("content_block_stop", {"index": index}))
    events.append(_sse("message_delta", {"delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                         "usage": {"output_tokens": usage["output_tokens"]}}))
    events.append(_sse("message_stop", {}))
    return events


async def _stream(message: dict[str, Any], script: Scripted | None, sent: list[bytes]) -> AsyncIterator[str]:
    for n, event in enumerate(stream_events(message)):
        if script and script.stream_error_after is not None and n == script.stream_error_after:
            yield _sse("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
            return
        sent.append(event.encode())
        yield event
        await asyncio.sleep(0)
