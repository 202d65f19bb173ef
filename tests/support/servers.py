"""Run ASGI apps on real loopback sockets for the length of a test (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_app(app: Any, *, host: str = "127.0.0.1") -> RunningServer:
    config = uvicorn.Config(app, host=host, port=0, log_level="error", access_log=False, lifespan="off",
                            loop="asyncio", http="h11", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)

    def run() -> None:
        asyncio.run(server.serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return RunningServer(f"http://{host}:{port}", server, thread)


def free_port() -> int:
    """A loopback port nobody listens on right now (for a ``tollway serve`` subprocess)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: Any, *, timeout: float = 60.0, output: Any = None) -> None:
    """Wait until the gateway at ``url`` answers its readiness probe; fail (with ``output()``, if given) when
    ``process`` exits first or ``timeout`` seconds pass."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health/readiness").status_code == 200:
                return
        except httpx.TransportError:
            pass
        detail = output() if output is not None else ""
        assert process.poll() is None, f"tollway serve exited: {detail}"
        assert time.monotonic() < deadline, f"tollway serve did not become ready: {detail}"
        time.sleep(0.2)
