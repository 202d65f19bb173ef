"""A fast fake OpenAI-compatible upstream for the benchmarks (raw ASGI under uvicorn).

Behaviour is chosen by the path prefix, so every gateway can point at one process through
its ``api_base`` and no request header has to survive the gateway:

    /b/<latency_ms>/<gap_ms>/<chunks>/v1/chat/completions
    /b/<latency_ms>/<gap_ms>/<chunks>/v1/embeddings
    /b/<latency_ms>/<gap_ms>/<chunks>/v1/messages          (Anthropic's Messages API, JSON or SSE)

``latency_ms`` is slept before answering (or before the first chunk of a stream); a stream
sends ``chunks`` content chunks ``gap_ms`` apart, then a finish chunk, a usage chunk when
``stream_options.include_usage`` is set, and ``[DONE]``. Bodies are shaped like OpenAI's so
gateways that validate them (Tollway, LiteLLM) accept them.

Run: ``python bench/upstream.py --port 18000``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

_JSON = [(b"content-type", b"application/json")]
_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


def _params(path: str) -> tuple[float, float, int, str] | None:
    parts = path.split("/")
    # ['', 'b', latency, gap, chunks, 'v1', endpoint...]
    if len(parts) < 7 or parts[1] != "b" or parts[5] != "v1":
        return None
    try:
        return float(parts[2]) / 1000, float(parts[3]) / 1000, int(parts[4]), "/".join(parts[6:])
    except ValueError:
        return None


async def _body(receive: Any) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _send(send: Any, status: int, payload: Any, headers: list[tuple[bytes, bytes]] = _JSON) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _completion(model: str, created: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench", "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": "Hello! How can I help you today?",
                                 "refusal": None}}],
        "usage": {"prompt_tokens": 14, "completion_tokens": 9, "total_tokens": 23,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0}},
        "system_fingerprint": "fp_bench",
    }


async def _stream(send: Any, model: str, latency: float, gap: float, chunks: int, usage: bool) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": _SSE})
    if latency:
        await asyncio.sleep(latency)
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "system_fingerprint": "fp_bench"}

    def event(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"type": "http.response.body", "more_body": True,
                "body": b"data: " + json.dumps({**base, "choices": choices, **extra},
                                               separators=(",", ":")).encode() + b"\n\n"}

    await send(event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]))
    for i in range(chunks):
        if gap:
            await asyncio.sleep(gap)
        await send(event([{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}]))
    await send(event([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    if usage:
        await send(event([], usage={"prompt_tokens": 14, "completion_tokens": chunks, "total_tokens": 14 + chunks}))
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


async def _messages_stream(send: Any, model: str, latency: float, gap: float, chunks: int) -> None:
    """Anthropic's event sequence: message_start, one text block of ``chunks`` deltas, message_delta, message_stop."""
    await send({"type": "http.response.start", "status": 200, "headers": _SSE})
    if latency:
        await asyncio.sleep(latency)

    def event(name: str, data: dict[str, Any], more: bool = True) -> dict[str, Any]:
        body = f"event: {name}\ndata: ".encode() + json.dumps({"type": name, **data}, separators=(",", ":")).encode()
        return {"type": "http.response.body", "more_body": more, "body": body + b"\n\n"}

    message = {"id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": [],
               "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 14, "output_tokens": 1}}
    await send(event("message_start", {"message": message}))
    await send(event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}))
    for i in range(chunks):
        if gap:
            await asyncio.sleep(gap)
        await send(event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": f"tok{i} "}}))
    await send(event("content_block_stop", {"index": 0}))
    await send(event("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                       "usage": {"output_tokens": chunks}}))
    await send(event("message_stop", {}, more=False))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    params = _params(scope["path"])
    raw = await _body(receive)
    if params is None or scope["method"] != "POST":
        await _send(send, 404, {"error": {"message": f"no route {scope['path']}", "type": "invalid_request_error"}})
        return
    latency, gap, chunks, endpoint = params
    try:
        request = json.loads(raw)
    except ValueError:
        await _send(send, 400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
        return
    model = str(request.get("model", "bench"))
    if endpoint == "chat/completions":
        if request.get("stream"):
            usage = bool((request.get("stream_options") or {}).get("include_usage"))
            await _stream(send, model, latency, gap, chunks, usage)
            return
        if latency:
            await asyncio.sleep(latency)
        await _send(send, 200, _completion(model, int(time.time())))
        return
    if endpoint == "messages":
        if request.get("stream"):
            await _messages_stream(send, model, latency, gap, chunks)
            return
        if latency:
            await asyncio.sleep(latency)
        await _send(send, 200, {"id": "msg_bench", "type": "message", "role": "assistant", "model": model,
                                "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
                                "stop_reason": "end_turn", "stop_sequence": None,
                                "usage": {"input_tokens": 14, "output_tokens": 9}})
        return
    if endpoint == "embeddings":
        if latency:
            await asyncio.sleep(latency)
        inputs = request.get("input")
        count = len(inputs) if isinstance(inputs, list) else 1
        await _send(send, 200, {"object": "list", "model": model,
                                "data": [{"object": "embedding", "index": i, "embedding": [0.0] * 8}
                                         for i in range(count)],
                                "usage": {"prompt_tokens": 4 * count, "total_tokens": 4 * count}})
        return
    await _send(send, 404, {"error": {"message": f"no route {scope['path']}", "type": "invalid_request_error"}})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off",
                backlog=4096)


if __name__ == "__main__":
    main()
