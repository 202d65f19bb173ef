"""The floor: the least a Python gateway can do (raw ASGI + one pooled httpx client).

It checks the bearer key, reads the JSON body to find the model, picks that model's
upstream base URL, forwards the bytes unchanged and relays the answer (streamed as it
arrives). No validation, no translation, no logging: anything a real gateway adds over
this is its overhead.

``--client aiohttp`` forwards with one ``aiohttp.ClientSession`` instead (run it with an
interpreter that has aiohttp, e.g. bench/.venv-litellm): the same floor with the HTTP client
LiteLLM uses, which shows what the choice of client costs.

Run: ``python bench/passthrough.py --port 18100 --routes '{"bench-0": "http://127.0.0.1:18000/b/0/0/0/v1"}'``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import httpx

ROUTES: dict[str, str] = {}
MASTER_KEY = b""
CLIENT = "httpx"
_client: httpx.AsyncClient | None = None
_session: Any = None


async def _reply(send: Any, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _client
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _client is not None:
                    await _client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    auth = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
    if auth != b"Bearer " + MASTER_KEY:
        await _reply(send, 401, b'{"error":{"message":"invalid key","type":"authentication_error"}}')
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    raw = b"".join(chunks)
    request = json.loads(raw)
    base = ROUTES.get(request.get("model", ""))
    if base is None:
        await _reply(send, 404, b'{"error":{"message":"unknown model","type":"invalid_request_error"}}')
        return
    if CLIENT == "aiohttp":
        await _forward_aiohttp(send, scope["path"].removeprefix("/v1"), base, raw, bool(request.get("stream")))
        return
    if _client is None:
        _client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=512,
                                                                    max_keepalive_connections=128))
    path = scope["path"].removeprefix("/v1")
    url = base + path
    headers = {"content-type": "application/json", "authorization": "Bearer sk-upstream"}
    if request.get("stream"):
        async with _client.stream("POST", url, content=raw, headers=headers) as response:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": [(b"content-type", response.headers.get("content-type", "").encode())]})
            async for piece in response.aiter_raw():
                await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    response = await _client.post(url, content=raw, headers=headers)
    await _reply(send, response.status_code, response.content,
                 response.headers.get("content-type", "application/json").encode())


async def _forward_aiohttp(send: Any, path: str, base: str, raw: bytes, stream: bool) -> None:
    global _session
    import aiohttp

    if _session is None:
        _session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512, keepalive_timeout=30))
    headers = {"content-type": "application/json", "authorization": "Bearer sk-upstream"}
    async with _session.post(base + path, data=raw, headers=headers) as response:
        content_type = response.headers.get("content-type", "application/json").encode()
        if stream:
            await send({"type": "http.response.start", "status": response.status,
                        "headers": [(b"content-type", content_type)]})
            async for piece in response.content.iter_any():
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await _reply(send, response.status, await response.read(), content_type)


def main() -> None:
    import uvicorn

    global MASTER_KEY, CLIENT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--routes", required=True, help="JSON object: model name -> upstream base URL (with /v1)")
    parser.add_argument("--master-key", default="sk-bench-master")
    parser.add_argument("--client", choices=("httpx", "aiohttp"), default="httpx")
    args = parser.parse_args()
    CLIENT = args.client
    ROUTES.update(json.loads(args.routes))
    MASTER_KEY = args.master_key.encode()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, backlog=4096)


if __name__ == "__main__":
    main()
