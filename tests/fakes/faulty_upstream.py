"""A misbehaving OpenAI-compatible upstream on a raw socket, for reliability tests.

The mode is the first path segment: a deployment with ``api_base: <url>/<mode>/v1`` gets that
behaviour on every call. Raw asyncio streams (not an ASGI app) so it can do what no well-behaved
server does: trickle bytes, hang, reset the connection, lie about its content type.

Modes: ``ok``, ``trickle`` (headers, then one byte every ``TICK`` seconds, forever),
``keepalive`` (SSE ``: ping`` comments forever), ``first-then-keepalive`` (one chunk, then pings
forever), ``bad-retry-after`` (429 with ``Retry-After: soon``), ``date-retry-after`` (429 with an
HTTP date), ``json-on-stream`` (a chat completion as JSON for a stream request), ``invalid-json``
(SSE whose data is not JSON), ``wrong-shape`` (a JSON body that is no chat completion),
``no-events`` (an SSE response with no events), ``truncated`` (one chunk, then the connection
closes mid-event), ``huge`` (a ``HUGE_BYTES`` JSON body), ``huge-event`` (one SSE event of
``HUGE_BYTES``), ``hang`` (reads the request, never answers), ``reset`` (reads the request,
resets the connection), ``5xx`` (500 with an error body).

Every request is counted in ``hits[mode]``. Nothing runs past ``stop()`` (endless modes end when
the server closes), and each endless mode also gives up after ``MAX_SECONDS``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections import Counter
from email.utils import formatdate
from typing import Any

TICK = 0.2
MAX_SECONDS = 120.0
HUGE_BYTES = 4 * 1024 * 1024


def completion(model: str, text: str = "fine thanks") -> dict[str, Any]:
    return {"id": "chatcmpl-faulty", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


def chunk(model: str, text: str, *, usage: bool = False) -> bytes:
    body: dict[str, Any] = {"id": "chatcmpl-faulty", "object": "chat.completion.chunk", "created": 0, "model": model,
                            "choices": [] if usage else [{"index": 0, "delta": {"content": text},
                                                          "finish_reason": None}]}
    if usage:
        body["usage"] = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class FaultyUpstream:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> FaultyUpstream:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop)
        self._server = future.result(timeout=10)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def base_url(self, mode: str) -> str:
        return f"{self.url}/{mode}/v1"

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    # ------------------------------------------------------------------ protocol

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # cancelled: the fake is stopping
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        _, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        request = json.loads(body) if body else {}
        mode = path.strip("/").split("/", 1)[0]
        self.hits[mode] += 1
        model = str(request.get("model", "faulty"))
        stream = bool(request.get("stream"))
        handler = getattr(self, "_" + mode.replace("-", "_"), None)
        if handler is None:
            await _send(writer, 404, {"error": {"message": f"unknown mode {mode}"}})
            return True
        return bool(await handler(writer, model, stream))

    # ------------------------------------------------------------------ modes

    async def _ok(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        if stream:
            await _sse_head(writer)
            writer.write(chunk(model, "fine ") + chunk(model, "thanks") + chunk(model, "", usage=True)
                         + b"data: [DONE]\n\n")
            await writer.drain()
            return False
        await _send(writer, 200, completion(model))
        return True

    async def _trickle(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        if stream:
            await _sse_head(writer)
            text = chunk(model, "never ending")
        else:
            text = json.dumps(completion(model)).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                         + str(len(text) * 1000).encode() + b"\r\n\r\n")
        await _drip(writer, (text * 1000)[: int(MAX_SECONDS / TICK)])
        return False

    async def _keepalive(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _sse_head(writer)
        await _pings(writer)
        return False

    async def _first_then_keepalive(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _sse_head(writer)
        writer.write(chunk(model, "partial answer "))
        await _pings(writer)
        return False

    async def _bad_retry_after(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _send(writer, 429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"retry-after": "soon"})
        return True

    async def _date_retry_after(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _send(writer, 429, {"error": {"message": "slow down"}}, {"retry-after": formatdate(time.time() + 1,
                                                                                                usegmt=True)})
        return True

    async def _json_on_stream(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _send(writer, 200, completion(model))
        return True

    async def _wrong_shape(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _send(writer, 200, {"answer": 42}, content_type="application/json" if not stream else "text/plain")
        return True

    async def _invalid_json(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _sse_head(writer)
        writer.write(b"data: {this is not json\n\n")
        await writer.drain()
        return False

    async def _no_events(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _sse_head(writer)
        writer.write(b": nothing to see\n\n")
        await writer.drain()
        return False

    async def _truncated(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _sse_head(writer)
        writer.write(chunk(model, "half an ") + b'data: {"id": "chatcmpl-faulty", "choi')
        await writer.drain()
        return False

    async def _huge(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        padding = "x" * HUGE_BYTES
        body = json.dumps(completion(model, padding)).encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        for start in range(0, len(body), 65536):
            piece = body[start:start + 65536]
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def _huge_event(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _sse_head(writer)
        writer.write(chunk(model, "x" * HUGE_BYTES))
        await writer.drain()
        return False

    async def _hang(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await asyncio.sleep(MAX_SECONDS)
        return False

    async def _reset(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return False

    async def _5xx(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> bool:
        await _send(writer, 500, {"error": {"message": "the upstream fell over", "type": "server_error"}})
        return True


async def _send(writer: asyncio.StreamWriter, status: int, body: Any, headers: dict[str, str] | None = None, *,
                content_type: str = "application/json") -> None:
    data = json.dumps(body).encode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(data)}\r\n{extra}\r\n"
                 .encode() + data)
    await writer.drain()


async def _sse_head(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
    await writer.drain()


async def _drip(writer: asyncio.StreamWriter, data: bytes) -> None:
    for i in range(len(data)):
        writer.write(data[i:i + 1])
        await writer.drain()
        await asyncio.sleep(TICK)


async def _pings(writer: asyncio.StreamWriter) -> None:
    for _ in range(int(MAX_SECONDS / TICK)):
        writer.write(b": ping\n\n")
        await writer.drain()
        await asyncio.sleep(TICK)
