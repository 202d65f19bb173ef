"""A fake OpenAI-compatible upstream speaking the real HTTP protocol (JSON and SSE).

Tests script its next answers (``fake.queue``) and read what it received (``fake.requests``).
By default it answers like OpenAI: a chat completion echoing the last user message, a tool
call when ``tool_choice`` names a tool, and streams ending with a usage chunk when
``stream_options.include_usage`` is set.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Scripted:
    """One scripted answer: an error status with a body, or a stream that fails midway."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stream_error_after: int | None = None
    delay: float = 0.0


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.queue: list[Scripted] = []
        #: what it answered to chat requests, byte for byte: one body, or the stream's events
        self.sent: list[list[bytes]] = []
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
        ])

    def reset(self) -> None:
        self.sent.clear()
        self.requests.clear()
        self.headers.clear()
        self.queue.clear()

    async def _record(self, request: Request) -> tuple[dict[str, Any], Scripted | None]:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        script = self.queue.pop(0) if self.queue else None
        if script and script.delay:
            await asyncio.sleep(script.delay)
        return body, script

    async def chat(self, request: Request) -> Response:
        body, script = await self._record(request)
        if script and script.status >= 400:
            return JSONResponse(script.body, status_code=script.status, headers=script.headers)
        completion = script.body if script and script.body else _completion(body)
        sent: list[bytes] = []
        self.sent.append(sent)
        if body.get("stream"):
            return StreamingResponse(_recorded(_stream(completion, body, script), sent),
                                     media_type="text/event-stream")
        response = JSONResponse(completion)
        sent.append(bytes(response.body))
        return response

    async def embeddings(self, request: Request) -> Response:
        body, script = await self._record(request)
        if script and script.status >= 400:
            return JSONResponse(script.body, status_code=script.status, headers=script.headers)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dims = body.get("dimensions", 3)
        data = [{"object": "embedding", "index": i, "embedding": [0.1 * (i + 1)] * dims} for i in range(len(inputs))]
        tokens = sum(len(str(x).split()) for x in inputs)
        return JSONResponse({"object": "list", "data": data, "model": body["model"],
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    last = body["messages"][-1]
    content = last.get("content")
    text = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content or [])
    choice = body.get("tool_choice")
    message: dict[str, Any]
    if isinstance(choice, dict):
        name = choice["function"]["name"]
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_fake1", "type": "function", "function": {"name": name, "arguments": '{"city": "Paris"}'}}
        ]}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": f"echo: {text}", "refusal": None}
        finish = "stop"
    prompt = sum(len(str(m.get("content", "")).split()) for m in body["messages"]) + 7
    return {
        "id": "chatcmpl-fake123", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": 5, "total_tokens": prompt + 5,
                  "prompt_tokens_details": {"cached_tokens": 2, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0}},
        "system_fingerprint": "fp_fake",
    }


async def _recorded(events: AsyncIterator[str], sent: list[bytes]) -> AsyncIterator[str]:
    async for event in events:
        sent.append(event.encode())
        yield event


async def _stream(completion: dict[str, Any], body: dict[str, Any], script: Scripted | None):  # type: ignore[no-untyped-def]
    base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    message = completion["choices"][0]["message"]
    chunks: list[dict[str, Any]] = [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        chunks.append({"index": 0, "delta": {"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                       "function": {"name": call["function"]["name"], "arguments": ""}}]}, "finish_reason": None})
        for piece in ('{"city"', ': "Paris"}'):
            chunks.append({"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]},
                           "finish_reason": None})
    else:
        for word in message["content"].split(" "):
            chunks.append({"index": 0, "delta": {"content": word + " "}, "finish_reason": None})
    chunks.append({"index": 0, "delta": {}, "finish_reason": completion["choices"][0]["finish_reason"]})
    include_usage = (body.get("stream_options") or {}).get("include_usage")
    for n, choice in enumerate(chunks):
        if script and script.stream_error_after is not None and n == script.stream_error_after:
            error = {"error": {"message": "upstream exploded", "type": "server_error", "code": None}}
            yield f"data: {json.dumps(error)}\n\n"
            return
        yield f"data: {json.dumps({**base, 'choices': [choice], **({'usage': None} if include_usage else {})})}\n\n"
        await asyncio.sleep(0)
    if include_usage:
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': completion['usage']})}\n\n"
    yield "data: [DONE]\n\n"
