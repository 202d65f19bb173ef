"""A fake Ollama server speaking its native protocol: ``/api/chat`` (JSON or NDJSON) and ``/api/embed``.

Default answers: a tool call (arguments as an object) when tools are offered and the
conversation holds no tool result yet; otherwise ``echo: <last message>``, truncated to
``options.num_predict`` words with ``done_reason: "length"``; ``message.thinking`` when
``think`` is set; a JSON object when ``format`` is set. Tests queue errors in ``queue``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CREATED_AT = "2026-11-24T06:00:00.000000Z"


@dataclass
class OllamaScript:
    status: int = 200
    body: Any = None
    stream_error_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeOllama:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.queue: list[OllamaScript] = []
        self.app = Starlette(routes=[
            Route("/api/chat", self.chat, methods=["POST"]),
            Route("/api/embed", self.embed, methods=["POST"]),
        ])

    def reset(self) -> None:
        self.requests.clear()
        self.headers.clear()
        self.queue.clear()

    async def _record(self, request: Request) -> tuple[dict[str, Any], OllamaScript | None]:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        return body, (self.queue.pop(0) if self.queue else None)

    async def chat(self, request: Request) -> Response:
        body, script = await self._record(request)
        if script and script.status >= 400:
            return JSONResponse(script.body, status_code=script.status, headers=script.headers)
        message, done_reason = _answer(body)
        prompt = sum(len(str(m.get("content", "")).split()) for m in body["messages"]) + 10
        final = {"done": True, "done_reason": done_reason, "total_duration": 1000, "prompt_eval_count": prompt,
                 "eval_count": len(message.get("content", "").split()) + 2 * len(message.get("tool_calls", []))}
        if body.get("stream", True):
            return StreamingResponse(_ndjson(body["model"], message, final, script), media_type="application/x-ndjson")
        return JSONResponse({"model": body["model"], "created_at": CREATED_AT, "message": message, **final})

    async def embed(self, request: Request) -> Response:
        body, script = await self._record(request)
        if script and script.status >= 400:
            return JSONResponse(script.body, status_code=script.status, headers=script.headers)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dims = body.get("dimensions", 3)
        vectors = [[0.25 * (i + 1)] * dims for i in range(len(inputs))]
        return JSONResponse({"model": body["model"], "embeddings": vectors, "total_duration": 1000,
                             "prompt_eval_count": sum(len(str(x).split()) for x in inputs)})


def _answer(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    messages = body["messages"]
    last = messages[-1]
    if body.get("tools") and not any(m["role"] == "tool" for m in messages):
        name = body["tools"][0]["function"]["name"]
        return {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": name, "arguments": {"city": "Paris"}}},
            {"function": {"name": name, "arguments": {"city": "Lyon"}}},
        ]}, "stop"
    text = f"echo: {last.get('content', '')}"
    if last.get("images"):
        text += f" [{len(last['images'])} image(s)]"
    if body.get("format") is not None:
        text = json.dumps({"echo": last.get("content", "")})
    words = text.split(" ")
    limit = (body.get("options") or {}).get("num_predict")
    reason = "stop"
    if limit is not None and len(words) > limit:
        words, reason = words[:limit], "length"
    message: dict[str, Any] = {"role": "assistant", "content": " ".join(words)}
    if body.get("think"):
        message["thinking"] = "Let me think."
    return message, reason


async def _ndjson(model: str, message: dict[str, Any], final: dict[str, Any], script: OllamaScript | None):  # type: ignore[no-untyped-def]
    parts: list[dict[str, Any]] = []
    if message.get("thinking"):
        parts.append({"role": "assistant", "content": "", "thinking": message["thinking"]})
    if message.get("tool_calls"):
        parts.extend({"role": "assistant", "content": "", "tool_calls": [call]} for call in message["tool_calls"])
    else:
        words = message["content"].split(" ")
        parts.extend({"role": "assistant", "content": w if i == 0 else " " + w} for i, w in enumerate(words))
    for n, part in enumerate(parts):
        if script and script.stream_error_after is not None and n == script.stream_error_after:
            yield json.dumps({"error": "an error was encountered while running the model"}) + "\n"
            return
        yield json.dumps({"model": model, "created_at": CREATED_AT, "message": part, "done": False}) + "\n"
        await asyncio.sleep(0)
    yield json.dumps({"model": model, "created_at": CREATED_AT,
                      "message": {"role": "assistant", "content": ""}, **final}) + "\n"
