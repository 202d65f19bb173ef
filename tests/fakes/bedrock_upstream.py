"""A fake Bedrock Runtime endpoint for the real boto3 client (``endpoint_url`` pointed here).

It speaks the Converse REST-JSON protocol (``POST /model/{modelId}/converse``), ConverseStream
in the binary AWS event stream encoding (``application/vnd.amazon.eventstream``: prelude with
total and headers lengths and their CRC32, typed headers, JSON payload, message CRC32), and
``InvokeModel`` for Titan and Cohere embeddings. Claude's native Messages bodies (those with
``anthropic_version``) are answered by InvokeModel with a Messages API message and by
InvokeModelWithResponseStream with ``chunk`` events whose ``bytes`` are Anthropic's stream events
(the last carrying ``amazon-bedrock-invocationMetrics``), as Bedrock does; ``CountTokens`` counts
them. Errors use the ``x-amzn-ErrorType`` header as Bedrock does; in-stream exceptions are
``:message-type: exception`` messages.

Tests script answers (``fake.queue``) and read what it received (``fake.calls``: path, model
id, JSON body and headers, so SigV4 signing can be checked).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes import anthropic_upstream


@dataclass
class Script:
    """One scripted answer: an error (status + exception name), a fixed output, or a failing stream."""

    status: int = 200
    error: str | None = None
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)
    output: dict[str, Any] | None = None
    stream_error_after: int | None = None
    stream_error: str = "throttlingException"
    stall_after: int | None = None  # stop sending (but keep the connection open) after this many events


@dataclass
class Call:
    operation: str
    model_id: str
    body: dict[str, Any]
    headers: dict[str, str]
    raw_path: str


# ----------------------------------------------------------------------------- event stream encoding


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack(">B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event stream message, byte for byte as AWS frames it."""
    header_bytes = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(header_bytes) + len(payload) + 4
    prelude = struct.pack(">II", total, len(header_bytes))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + header_bytes + payload
    return message + struct.pack(">I", binascii.crc32(message) & 0xFFFFFFFF)


def event(event_type: str, payload: dict[str, Any]) -> bytes:
    return encode_message({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
                          json.dumps(payload).encode())


def exception(exception_type: str, message: str) -> bytes:
    return encode_message({":exception-type": exception_type, ":content-type": "application/json",
                           ":message-type": "exception"}, json.dumps({"message": message}).encode())


# ----------------------------------------------------------------------------- the fake


class FakeBedrock:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.queue: list[Script] = []
        self.app = Starlette(routes=[
            Route("/model/{model_id:path}/converse", self.converse, methods=["POST"]),
            Route("/model/{model_id:path}/converse-stream", self.converse_stream, methods=["POST"]),
            Route("/model/{model_id:path}/invoke", self.invoke, methods=["POST"]),
            Route("/model/{model_id:path}/invoke-with-response-stream", self.invoke_stream, methods=["POST"]),
            Route("/model/{model_id:path}/count-tokens", self.count_tokens, methods=["POST"]),
        ])

    def reset(self) -> None:
        self.calls.clear()
        self.queue.clear()

    async def _record(self, request: Request, operation: str) -> tuple[Call, Script | None]:
        call = Call(operation, request.path_params["model_id"], json.loads(await request.body() or b"{}"),
                    dict(request.headers), request.scope.get("raw_path", b"").decode())
        self.calls.append(call)
        return call, (self.queue.pop(0) if self.queue else None)

    @staticmethod
    def _error(script: Script) -> Response:
        headers = {"x-amzn-ErrorType": f"{script.error}:http://internal.amazon.com/", **script.headers}
        return JSONResponse({"message": script.message}, status_code=script.status, headers=headers)

    async def converse(self, request: Request) -> Response:
        call, script = await self._record(request, "converse")
        if script and script.error:
            return self._error(script)
        return JSONResponse(script.output if script and script.output else reply(call.body),
                            headers={"x-amzn-RequestId": "req-fake-1"})

    async def converse_stream(self, request: Request) -> Response:
        call, script = await self._record(request, "converse-stream")
        if script and script.error:
            return self._error(script)
        output = script.output if script and script.output else reply(call.body)
        return StreamingResponse(_stream(output, script), media_type="application/vnd.amazon.eventstream",
                                 headers={"x-amzn-RequestId": "req-fake-2"})

    async def invoke(self, request: Request) -> Response:
        call, script = await self._record(request, "invoke")
        if script and script.error:
            return self._error(script)
        body = call.body
        if "anthropic_version" in body:
            return self._claude(call, script)
        if "inputText" in body:
            dims = body.get("dimensions", 1024)
            tokens = len(body["inputText"].split())
            vector = [round(0.001 * (len(body["inputText"]) + i), 6) for i in range(dims)]
            answer: dict[str, Any] = {"embedding": vector, "inputTextTokenCount": tokens}
        else:
            dims = body.get("output_dimension", 1024)
            vectors = [[round(0.01 * (len(t) + i), 6) for i in range(dims)] for t in body["texts"]]
            tokens = sum(len(t.split()) for t in body["texts"])
            answer = {"id": "emb-1", "texts": body["texts"], "response_type": "embeddings_by_type",
                      "embeddings": {"float": vectors}}
        return JSONResponse(answer, headers={"x-amzn-bedrock-input-token-count": str(tokens)})


    def _claude(self, call: Call, script: Script | None) -> Response:
        refusal = anthropic_upstream.check_thinking_replay(call.body)
        if refusal:
            return self._error(Script(status=400, error="ValidationException", message=refusal))
        message = script.output if script and script.output else claude_reply(call)
        tokens = str(message["usage"]["input_tokens"])
        return JSONResponse(message, headers={"x-amzn-RequestId": "req-fake-3",
                                              "x-amzn-bedrock-input-token-count": tokens})

    async def invoke_stream(self, request: Request) -> Response:
        call, script = await self._record(request, "invoke-stream")
        if script and script.error:
            return self._error(script)
        refusal = anthropic_upstream.check_thinking_replay(call.body)
        if refusal:
            return self._error(Script(status=400, error="ValidationException", message=refusal))
        message = script.output if script and script.output else claude_reply(call)
        return StreamingResponse(_stream_parts(message, script), media_type="application/vnd.amazon.eventstream",
                                 headers={"x-amzn-RequestId": "req-fake-4"})

    async def count_tokens(self, request: Request) -> Response:
        call, script = await self._record(request, "count-tokens")
        if script and script.error:
            return self._error(script)
        body = json.loads(base64.b64decode(call.body["input"]["invokeModel"]["body"]))
        return JSONResponse({"inputTokens": anthropic_upstream.count(body)})


def claude_reply(call: Call) -> dict[str, Any]:
    """What Claude on Bedrock answers to a native Messages body (the model is the path's model id)."""
    return anthropic_upstream.reply({**call.body, "model": call.model_id})


def chunk_parts(message: dict[str, Any]) -> list[bytes]:
    """InvokeModelWithResponseStream's ``chunk`` events for ``message``: each part's ``bytes`` is one
    Anthropic event; ``message_stop`` carries Bedrock's invocation metrics."""
    parts = []
    for payload in anthropic_upstream.stream_payloads(message):
        if payload["type"] == "message_stop":
            payload["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": message["usage"]["input_tokens"],
                "outputTokenCount": message["usage"]["output_tokens"], "invocationLatency": 42,
                "firstByteLatency": 7}
        encoded = base64.b64encode(json.dumps(payload).encode()).decode()
        parts.append(event("chunk", {"bytes": encoded}))
    return parts


async def _stream_parts(message: dict[str, Any], script: Script | None) -> AsyncIterator[bytes]:
    for n, part in enumerate(chunk_parts(message)):
        if script and script.stream_error_after is not None and n == script.stream_error_after:
            yield exception(script.stream_error, script.message)
            return
        yield part
        await asyncio.sleep(0)


def _last_user_text(body: dict[str, Any]) -> tuple[str, int]:
    texts, images = [], 0
    for block in body["messages"][-1]["content"]:
        if "text" in block:
            texts.append(block["text"])
        elif "toolResult" in block:
            texts.extend(part.get("text", "") for part in block["toolResult"]["content"])
        elif "image" in block:
            images += 1
    return " ".join(texts), images


def reply(body: dict[str, Any]) -> dict[str, Any]:
    """The Converse output a Claude model would plausibly send for ``body``."""
    content: list[dict[str, Any]] = []
    thinking = (body.get("additionalModelRequestFields") or {}).get("thinking")
    if thinking:
        content.append({"reasoningContent": {"reasoningText": {"text": "Thinking it over.", "signature": "sig-b"}}})
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
    if "any" in choice or "tool" in choice:
        name = choice.get("tool", {}).get("name") or body["toolConfig"]["tools"][0]["toolSpec"]["name"]
        content.append({"toolUse": {"toolUseId": "tooluse_fake1", "name": name, "input": {"city": "Paris"}}})
        stop = "tool_use"
    else:
        text, images = _last_user_text(body)
        content.append({"text": f"echo: {text}" + (f" [{images} image(s)]" if images else "")})
        stop = "end_turn"
    cached = "cachePoint" in json.dumps(body)
    usage = {"inputTokens": 12, "outputTokens": 6, "totalTokens": 18}
    if cached:
        usage.update(cacheReadInputTokens=100, cacheWriteInputTokens=20, totalTokens=138)
    return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": usage, "metrics": {"latencyMs": 42}}


def stream_messages(output: dict[str, Any]) -> list[bytes]:
    """The ConverseStream events for a Converse ``output``."""
    messages = [event("messageStart", {"role": "assistant"})]
    for index, block in enumerate(output["output"]["message"]["content"]):
        if "text" in block:
            for i, word in enumerate(block["text"].split(" ")):
                piece = word if i == 0 else " " + word
                messages.append(event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": piece}}))
        elif "toolUse" in block:
            use = block["toolUse"]
            messages.append(event("contentBlockStart", {"contentBlockIndex": index, "start": {
                "toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}}))
            arguments = json.dumps(use["input"])
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                messages.append(event("contentBlockDelta", {"contentBlockIndex": index,
                                                            "delta": {"toolUse": {"input": piece}}}))
        elif "reasoningContent" in block:
            text = block["reasoningContent"]["reasoningText"]
            messages.append(event("contentBlockDelta", {"contentBlockIndex": index,
                                                        "delta": {"reasoningContent": {"text": text["text"]}}}))
            signature = {"reasoningContent": {"signature": text["signature"]}}
            messages.append(event("contentBlockDelta", {"contentBlockIndex": index, "delta": signature}))
        messages.append(event("contentBlockStop", {"contentBlockIndex": index}))
    messages.append(event("messageStop", {"stopReason": output["stopReason"]}))
    messages.append(event("metadata", {"usage": output["usage"], "metrics": {"latencyMs": 42}}))
    return messages


async def _stream(output: dict[str, Any], script: Script | None) -> AsyncIterator[bytes]:
    for n, message in enumerate(stream_messages(output)):
        if script and script.stream_error_after is not None and n == script.stream_error_after:
            yield exception(script.stream_error, script.message)
            return
        if script and script.stall_after is not None and n == script.stall_after:
            await asyncio.sleep(30)
        yield message
        await asyncio.sleep(0)
