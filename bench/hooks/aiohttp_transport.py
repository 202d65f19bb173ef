"""An experiment, for the benchmarks only: httpx's interface over aiohttp's HTTP/1.1 client.

``install()`` makes every ``httpx.AsyncClient`` created afterwards in the process send through one
``aiohttp.ClientSession`` (per event loop), so Tollway's adapters, which only know httpx, run
unchanged on aiohttp's connection pool. It measures what the transport recommendation in
BENCHMARKS.md would buy; it is not Tollway code and handles only what the benchmark exercises
(plain HTTP, timeouts, connection errors).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: Any) -> None:
        self._response = response

    async def __aiter__(self) -> Any:
        async for chunk in self._response.content.iter_any():
            yield chunk

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._sessions: dict[asyncio.AbstractEventLoop, Any] = {}

    def _session(self) -> Any:
        import aiohttp

        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=512, keepalive_timeout=30), auto_decompress=False)
            self._sessions[loop] = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import aiohttp
        from multidict import CIMultiDict

        timeout = request.extensions.get("timeout") or {}
        client_timeout = aiohttp.ClientTimeout(sock_connect=timeout.get("connect"), sock_read=timeout.get("read"))
        headers = CIMultiDict(request.headers.multi_items())
        try:
            response = await self._session().request(
                request.method, str(request.url), headers=headers, data=await request.aread(),
                timeout=client_timeout, allow_redirects=False, skip_auto_headers=("User-Agent",))
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientConnectionError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        raw_headers = [(k, v) for k, v in response.raw_headers]
        return httpx.Response(response.status, headers=raw_headers, stream=_Body(response), request=request)

    async def aclose(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()


def install() -> None:
    original = httpx.AsyncClient.__init__

    def init(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("transport", AiohttpTransport())
        original(self, *args, **kwargs)

    httpx.AsyncClient.__init__ = init  # type: ignore[method-assign]
