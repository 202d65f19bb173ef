"""A fake Cohere v2 upstream speaking the real protocol: ``/v2/chat`` (JSON and SSE) and ``/v2/embed``.

Scripted like ``FakeOpenAI`` (``queue`` of ``Scripted``, ``requests``/``headers`` recorded).
Default behaviour: when ``tool_choice`` is ``REQUIRED`` it calls the first tool with
``{"city": "Paris"}`` after a ``tool_plan``; after a tool result it echoes the result; otherwise
it echoes the last user text. With ``thinking`` enabled it thinks first. Streams follow
Cohere's event sequence (message-start, content-start, content-delta..., content-end, or
tool-plan-delta / tool-call-start / tool-call-delta / tool-call-end, then message-end).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.openai_upstream import Scripted

API_KEY = "co-upstream-secret"


class FakeCohere:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.queue: list[Scripted] = []
        self.app = Starlette(routes=[
            Route("/v2/chat", self.chat, methods=["POST"]),
            Route("/v2/embed", self.embed, methods=["POST"]),
        ])

    def reset(self) -> None:
        self.requests.clear()
        self.headers.clear()
        self.queue.clear()

    async def _record(self, request: Request) -> tuple[dict[str, Any], Scripted | None, Response | None]:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return body, None, JSONResponse({"id": "e1", "message": "invalid api token"}, status_code=401)
        script = self.queue.pop(0) if self.queue else None
        if script and script.status >= 400:
            return body, script, JSONResponse(script.body, status_code=script.status, headers=script.headers)
        return body, script, None

    async def chat(self, request: Request) -> Response:
        body, script, error = await self._record(request)
        if error is not None:
            return error
        answer = _answer(body)
        if body.get("stream"):
            return StreamingResponse(_stream(answer, script), media_type="text/event-stream")
        return JSONResponse(answer)

    async def embed(self, request: Request) -> Response:
        body, _, error = await self._record(request)
        if error is not None:
            return error
        dims = body.get("output_dimension", 4)
        vectors = [[round(0.25 * (i + 1), 4)] * dims for i in range(len(body["texts"]))]
        tokens = sum(len(t.split()) for t in body["texts"])
        return JSONResponse({
            "id": "emb-1", "embeddings": {"float": vectors}, "texts": body["texts"],
            "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": tokens}},
            "response_type": "embeddings_by_type",
        })


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    last = body["messages"][-1]
    content: list[dict[str, Any]] = []
    if body.get("thinking", {}).get("type") == "enabled":
        content.append({"type": "thinking", "thinking": "Let me think."})
    message: dict[str, Any] = {"role": "assistant"}
    if body.get("tool_choice") == "REQUIRED" and body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message["tool_plan"] = "I will look up the weather."
        message["tool_calls"] = [{"id": "get_weather_abc123", "type": "function",
                                  "function": {"name": name, "arguments": '{"city": "Paris"}'}}]
        finish = "TOOL_CALL"
    else:
        text = last["content"] if isinstance(last["content"], str) else " ".join(
            p.get("text", "") for p in last["content"] if p.get("type") == "text")
        content.append({"type": "text", "text": f"echo: {text}"})
        finish = "COMPLETE" if "max_tokens" not in body or body["max_tokens"] > 3 else "MAX_TOKENS"
    if content:
        message["content"] = content
    prompt = sum(len(str(m.get("content", "")).split()) for m in body["messages"]) + 7
    return {
        "id": "cohere-resp-1", "finish_reason": finish, "message": message,
        "usage": {"billed_units": {"input_tokens": prompt, "output_tokens": 5},
                  "tokens": {"input_tokens": prompt + 100, "output_tokens": 6}},
    }


def _events(answer: dict[str, Any]) -> list[dict[str, Any]]:
    message = answer["message"]
    events: list[dict[str, Any]] = [{"type": "message-start", "id": answer["id"],
                                     "delta": {"message": {"role": "assistant"}}}]
    for index, item in enumerate(message.get("content") or []):
        kind = item["type"]
        events.append({"type": "content-start", "index": index,
                       "delta": {"message": {"content": {"type": kind, kind: ""}}}})
        for word in item[kind].split(" "):
            events.append({"type": "content-delta", "index": index,
                           "delta": {"message": {"content": {kind: word + " "}}}})
        events.append({"type": "content-end", "index": index})
    if message.get("tool_plan"):
        for word in message["tool_plan"].split(" "):
            events.append({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": word + " "}}})
    for index, call in enumerate(message.get("tool_calls") or []):
        events.append({"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": {
            "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}}}})
        for piece in ('{"city"', ': "Paris"}'):
            events.append({"type": "tool-call-delta", "index": index,
                           "delta": {"message": {"tool_calls": {"function": {"arguments": piece}}}}})
        events.append({"type": "tool-call-end", "index": index})
    events.append({"type": "message-end", "delta": {"finish_reason": answer["finish_reason"],
                                                    "usage": answer["usage"]}})
    return events


async def _stream(answer: dict[str, Any], script: Scripted | None):  # type: ignore[no-untyped-def]
    for n, event in enumerate(_events(answer)):
        if script and script.stream_error_after is not None and n == script.stream_error_after:
            event = {"type": "message-end", "delta": {"error": "internal model failure", "finish_reason": "ERROR"}}
            yield f"event: message-end\ndata: {json.dumps(event)}\n\n"
            return
        yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        await asyncio.sleep(0)
