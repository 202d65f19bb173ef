"""A fake SageMaker Runtime endpoint for the real boto3 client (``endpoint_url`` pointed here).

It speaks the REST protocol botocore uses for ``sagemaker-runtime``: ``InvokeEndpoint`` is
``POST /endpoints/{name}/invocations`` (the body is the container's, answered as is) and
``InvokeEndpointWithResponseStream`` is ``POST /endpoints/{name}/invocations-response-stream``,
answered in the binary AWS event stream encoding (``tests.fakes.bedrock_upstream.encode_message``)
with ``PayloadPart`` events whose bytes are the container's stream, cut at arbitrary places (a
JSON line split across two parts, several lines in one). Errors carry ``x-amzn-ErrorType`` as
SageMaker sends them (``ModelError`` with the container's ``OriginalStatusCode`` and
``OriginalMessage``); in-stream errors are ``ModelStreamError`` exception messages.

The "container" behind it answers each format: a body with ``messages`` as OpenAI's Chat
Completions (TGI's Messages API, LMI, vLLM), a body with ``inputs`` as TGI's ``/generate``
(``[{"generated_text"}]``, and ``data:{"token": ...}`` events when ``stream`` is true), and a list
of ``inputs`` as a TEI embedding container (one vector per input). It echoes
the last user text. Tests script answers (``fake.queue``) and read what it received (``fake.calls``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.bedrock_upstream import encode_message


@dataclass
class Script:
    """One scripted answer: a SageMaker error, a container answer to send as is, or a stream fault."""

    status: int = 200
    error: str | None = None  # x-amzn-ErrorType, e.g. ModelError, ValidationError, ThrottlingException
    message: str = "scripted failure"
    original_status: int | None = None  # ModelError: the container's own status...
    original_message: str | None = None  # ...and body
    body: Any = None  # the container's whole answer (JSON), instead of the echo
    lines: list[bytes] | None = None  # the container's stream (bytes), instead of the echo
    usage: bool = True  # chat answers: report usage (False: a container that does not)
    details: bool = False  # TGI answers: include details (finish_reason, generated_tokens, prefill)
    stream_error_after: int | None = None  # send a ModelStreamError after this many parts
    stall_after: int | None = None  # stop sending (connection kept open) after this many parts


@dataclass
class Call:
    operation: str
    endpoint: str
    body: dict[str, Any]
    headers: dict[str, str]


class FakeSageMaker:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.queue: list[Script] = []
        self.app = Starlette(routes=[
            Route("/endpoints/{name}/invocations", self.invoke, methods=["POST"]),
            Route("/endpoints/{name}/invocations-response-stream", self.invoke_stream, methods=["POST"]),
        ])

    def reset(self) -> None:
        self.calls.clear()
        self.queue.clear()

    async def _record(self, request: Request, operation: str) -> tuple[Call, Script]:
        call = Call(operation, request.path_params["name"], json.loads(await request.body()), dict(request.headers))
        self.calls.append(call)
        return call, (self.queue.pop(0) if self.queue else Script())

    @staticmethod
    def _error(script: Script) -> Response:
        body: dict[str, Any] = {"Message": script.message}
        if script.error == "ModelError":
            body.update(OriginalStatusCode=script.original_status, OriginalMessage=script.original_message,
                        ErrorCode="CLIENT_ERROR_FROM_MODEL",
                        LogStreamArn="arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/x")
        return JSONResponse(body, status_code=script.status,
                            headers={"x-amzn-ErrorType": f"{script.error}:http://internal.amazon.com/"})

    async def invoke(self, request: Request) -> Response:
        call, script = await self._record(request, "invoke")
        if script.error:
            return self._error(script)
        answer = script.body if script.body is not None else container_answer(call.body, script)
        return JSONResponse(answer, headers={"x-Amzn-Invoked-Production-Variant": "AllTraffic"})

    async def invoke_stream(self, request: Request) -> Response:
        call, script = await self._record(request, "invoke-stream")
        if script.error:
            return self._error(script)
        lines = script.lines if script.lines is not None else container_stream(call.body, script)
        return StreamingResponse(_parts(lines, script), media_type="application/vnd.amazon.eventstream",
                                 headers={"X-Amzn-SageMaker-Content-Type": "text/event-stream"})


# ----------------------------------------------------------------------------- the "container"


def last_user_text(body: dict[str, Any]) -> str:
    if "inputs" in body:
        last = str(body["inputs"]).rsplit("[INST]", 1)[-1].replace("[/INST]", "")
        return last.rsplit("\n\n", 1)[-1].strip()  # after a system prompt merged into the first turn
    content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


def container_answer(body: dict[str, Any], script: Script) -> Any:
    if isinstance(body.get("inputs"), list):  # an embedding container (TEI): one vector per input
        return [[round(0.1 * (i + 1) + 0.01 * j, 4) for j in range(3)] for i in range(len(body["inputs"]))]
    text = f"echo: {last_user_text(body)}"
    if "inputs" in body:
        item: dict[str, Any] = {"generated_text": text}
        if script.details:
            item["details"] = {"finish_reason": "eos_token", "generated_tokens": 4, "seed": None,
                               "prefill": [{"id": i, "text": "t"} for i in range(9)]}
        return [item]
    answer: dict[str, Any] = {
        "id": "chatcmpl-sm-1", "object": "chat.completion", "created": int(time.time()), "model": "tgi",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }
    if script.usage:
        answer["usage"] = {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
    return answer


def container_stream(body: dict[str, Any], script: Script) -> list[bytes]:
    words = f"echo: {last_user_text(body)}".split(" ")
    pieces = [w if i == 0 else f" {w}" for i, w in enumerate(words)]
    if "inputs" in body:
        events = [{"token": {"id": i, "text": piece, "logprob": -0.1, "special": False},
                   "generated_text": None, "details": None} for i, piece in enumerate(pieces)]
        events.append({"token": {"id": 2, "text": "</s>", "logprob": 0.0, "special": True},
                       "generated_text": "".join(pieces),
                       "details": {"finish_reason": "eos_token", "generated_tokens": len(pieces) + 1, "seed": None}})
        return [f"data:{json.dumps(e)}\n\n".encode() for e in events]
    chunks: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    chunks += [{"choices": [{"index": 0, "delta": {"content": piece}}]} for piece in pieces]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    wants_usage = (body.get("stream_options") or {}).get("include_usage")
    if wants_usage and script.usage:
        chunks.append({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": len(pieces),
                                                "total_tokens": 11 + len(pieces)}})
    base = {"id": "chatcmpl-sm-2", "object": "chat.completion.chunk", "created": int(time.time()), "model": "tgi"}
    return [f"data: {json.dumps({**base, **c})}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]


def payload_part(data: bytes) -> bytes:
    return encode_message({":event-type": "PayloadPart", ":content-type": "application/octet-stream",
                           ":message-type": "event"}, data)


def model_stream_error(message: str, code: str = "StreamBroken") -> bytes:
    return encode_message({":exception-type": "ModelStreamError", ":content-type": "application/json",
                           ":message-type": "exception"}, json.dumps({"Message": message, "ErrorCode": code}).encode())


def split_parts(lines: list[bytes]) -> list[bytes]:
    """The container's bytes cut as SageMaker may relay them: the first line split in two, the
    next two lines in one part, the rest one per part."""
    data = b"".join(lines)
    if len(lines) < 3:
        return [data[: len(data) // 2], data[len(data) // 2:]] if data else []
    first, second = len(lines[0]) // 2, len(lines[0]) + len(lines[1]) + len(lines[2])
    parts = [data[:first], data[first:second]]
    offset = second
    for line in lines[3:]:
        parts.append(data[offset: offset + len(line)])
        offset += len(line)
    return parts


async def _parts(lines: list[bytes], script: Script) -> AsyncIterator[bytes]:
    for n, part in enumerate(split_parts(lines)):
        if script.stream_error_after is not None and n == script.stream_error_after:
            yield model_stream_error(script.message)
            return
        if script.stall_after is not None and n == script.stall_after:
            await asyncio.sleep(30)
        yield payload_part(part)
        await asyncio.sleep(0)
