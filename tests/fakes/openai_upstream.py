"""A fake OpenAI-compatible upstream speaking the real HTTP protocol (JSON and SSE).

Tests script its next answers (``fake.queue``) and read what it received (``fake.requests``).
By default it answers like OpenAI: a chat completion echoing the last user message, a tool
call when ``tool_choice`` names a tool, and streams ending with a usage chunk when
``stream_options.include_usage`` is set. A scripted answer may carry reasoning as OpenAI-compatible servers
send it (a message's ``reasoning_content`` or ``reasoning``; a Responses ``reasoning`` item): it streams
word by word before the answer's text, with the events OpenAI's SDK knows.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
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
        #: the path and query string of each request
        self.urls: list[str] = []
        self.queue: list[Scripted] = []
        #: what it answered to chat requests, byte for byte: one body, or the stream's events
        self.sent: list[list[bytes]] = []
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
            Route("/v1/responses", self.responses, methods=["POST"]),
        ])

    def reset(self) -> None:
        self.sent.clear()
        self.requests.clear()
        self.headers.clear()
        self.urls.clear()
        self.queue.clear()

    async def _record(self, request: Request) -> tuple[dict[str, Any], Scripted | None]:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.urls.append(f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path)
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

    async def responses(self, request: Request) -> Response:
        return await responses_endpoint(self, request)

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
    for name in ("reasoning_content", "reasoning"):
        for i, word in enumerate(message[name].split(" ") if message.get(name) else []):
            chunks.append({"index": 0, "delta": {name: word if i == 0 else " " + word}, "finish_reason": None})
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


# ----------------------------------------------------------------------------- the Responses API


def _last_input_text(body: dict[str, Any]) -> str:
    items = body.get("input")
    if isinstance(items, str):
        return items
    for item in reversed(items or []):
        if item.get("type") == "function_call_output":
            return str(item.get("output"))
        content = item.get("content")
        if item.get("role") == "user":
            return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
    return ""


def response_object(body: dict[str, Any]) -> dict[str, Any]:
    """What OpenAI answers to ``POST /v1/responses``: an echo, or a call of the tool ``tool_choice`` names."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("name"):
        output = [{"id": "fc_fake1", "type": "function_call", "status": "completed", "call_id": "call_fake1",
                   "name": choice["name"], "arguments": '{"city": "Paris"}'}]
    else:
        output = [{"id": "msg_fake1", "type": "message", "role": "assistant", "status": "completed",
                   "content": [{"type": "output_text", "text": f"echo: {_last_input_text(body)}",
                                "annotations": []}]}]
    prompt = len(json.dumps(body.get("input")).split()) + 7
    return {
        "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(time.time()),
        "status": "completed", "model": body["model"], "output": output, "parallel_tool_calls": True,
        "tool_choice": choice or "auto", "tools": body.get("tools") or [], "store": body.get("store", True),
        "previous_response_id": body.get("previous_response_id"), "metadata": body.get("metadata") or {},
        "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 2, "cache_write_tokens": 0},
                  "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": prompt + 5},
        "fake_extension": {"kept": True},
    }


def response_events(response: dict[str, Any]) -> list[str]:
    """The typed events OpenAI streams for ``response`` (text split into word deltas)."""
    events: list[dict[str, Any]] = []
    pending = {**response, "status": "in_progress", "output": [], "usage": None}
    events += [{"type": "response.created", "response": pending}, {"type": "response.in_progress",
                                                                    "response": pending}]
    for index, item in enumerate(response["output"]):
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            text = item["content"][0]["text"]
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": {**item, "status": "in_progress", "content": []}})
            events.append({"type": "response.content_part.added", **where, "content_index": 0,
                           "part": {"type": "output_text", "text": "", "annotations": []}})
            for i, word in enumerate(text.split(" ")):
                events.append({"type": "response.output_text.delta", **where, "content_index": 0,
                               "delta": word if i == 0 else " " + word, "logprobs": []})
            events.append({"type": "response.output_text.done", **where, "content_index": 0, "text": text,
                           "logprobs": []})
            events.append({"type": "response.content_part.done", **where, "content_index": 0,
                           "part": item["content"][0]})
        elif item["type"] == "reasoning":
            events += _reasoning_events(item, where)
            continue
        else:
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": {**item, "status": "in_progress", "arguments": ""}})
            events.append({"type": "response.function_call_arguments.delta", **where, "delta": item["arguments"]})
            events.append({"type": "response.function_call_arguments.done", **where,
                           "arguments": item["arguments"], "name": item["name"]})
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": response})
    return [f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n})}\n\n"
            for n, e in enumerate(events)]


def _reasoning_events(item: dict[str, Any], where: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``reasoning`` item's events: its summary parts, then its ``reasoning_text`` content, word by word."""
    index = where["output_index"]
    events: list[dict[str, Any]] = [{"type": "response.output_item.added", "output_index": index,
                                     "item": {**item, "summary": [], "content": [], "status": "in_progress"}}]
    for n, part in enumerate(item.get("summary") or []):
        at = {**where, "summary_index": n}
        events.append({"type": "response.reasoning_summary_part.added", **at,
                       "part": {"type": "summary_text", "text": ""}})
        for i, word in enumerate(part["text"].split(" ")):
            events.append({"type": "response.reasoning_summary_text.delta", **at,
                           "delta": word if i == 0 else " " + word})
        events.append({"type": "response.reasoning_summary_text.done", **at, "text": part["text"]})
        events.append({"type": "response.reasoning_summary_part.done", **at, "part": part})
    for n, part in enumerate(item.get("content") or []):
        at = {**where, "content_index": n}
        events.append({"type": "response.content_part.added", **at, "part": {"type": "reasoning_text", "text": ""}})
        for i, word in enumerate(part["text"].split(" ")):
            events.append({"type": "response.reasoning_text.delta", **at, "delta": word if i == 0 else " " + word})
        events.append({"type": "response.reasoning_text.done", **at, "text": part["text"]})
        events.append({"type": "response.content_part.done", **at, "part": part})
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


async def responses_endpoint(fake: FakeOpenAI, request: Request) -> Response:
    body, script = await fake._record(request)
    if script and script.status >= 400:
        return JSONResponse(script.body, status_code=script.status, headers=script.headers)
    response = script.body if script and script.body else response_object(body)
    if not body.get("stream"):
        return JSONResponse(response)

    async def stream() -> Any:
        for n, event in enumerate(response_events(response)):
            if script and script.stream_error_after is not None and n == script.stream_error_after:
                error = {"type": "error", "code": "server_error", "message": "upstream exploded", "param": None,
                         "sequence_number": n}
                yield f"event: error\ndata: {json.dumps(error)}\n\n"
                return
            yield event
            await asyncio.sleep(0)

    return StreamingResponse(stream(), media_type="text/event-stream")
