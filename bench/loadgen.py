"""Closed-loop HTTP/1.1 load generator: asyncio + httptools' C parser (pinned in .venv via uvicorn).

httpx is too slow a client to load a Python server from the same 2 cores, so each worker
owns one keep-alive connection driven by an ``asyncio.Protocol``. Every run is bounded by
time *and* request count. The result is one JSON object on stdout.

    python bench/loadgen.py --url http://127.0.0.1:18100/v1/chat/completions \
        --header 'authorization: Bearer k' --body '{"model": "bench-0", ...}' \
        --concurrency 32 --duration 3 --max-requests 50000
    ... --ramp 1,2,4,8,16,32,64 --duration 2     # one step per concurrency
    ... --stream                                  # SSE: time to first token, gaps between tokens

Streams: a token event is one whose JSON has ``"content": "tok…"`` (Chat Completions) or
``"text": "tok…"`` (Anthropic's Messages), what bench/upstream.py sends; TTFT is the time to the
first one, gaps are between consecutive ones.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httptools

_TOKEN = re.compile(rb'"(?:content|text)":\s?"tok')
#: the Responses API repeats the whole text in its ``.done`` events: only its deltas are tokens
_DELTA_TOKEN = re.compile(rb'"delta":\s?"tok')


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1],
            "mean": sum(ordered) / len(ordered), "n": len(ordered)}


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``request()`` sends and waits for the whole response."""

    def __init__(self, stream: bool, token: re.Pattern[bytes] = _TOKEN) -> None:
        self.token = token
        self.stream = stream
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self._done: asyncio.Future[float] | None = None
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.token_times: list[float] = []
        self._pending = b""
        self.keep_headers = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self._done is not None and not self._done.done():
                self._done.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(ConnectionError("connection closed mid-response"))
        if not self.closed.done():
            self.closed.set_result(None)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if self.keep_headers:
            self.headers[name.decode().lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        if not self.stream:
            if self.keep_headers or len(self.body) < 4096:
                self.body += body
            return
        now = time.perf_counter()
        data = self._pending + body
        *events, self._pending = data.split(b"\n\n")
        for event in events:
            if self.token.search(event):
                self.token_times.append(now)
        if len(self.body) < 4096:
            self.body += body

    def on_message_complete(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(time.perf_counter())

    async def request(self, payload: bytes, keep_headers: bool = False) -> float:
        self.status, self.headers, self.body, self.token_times, self._pending = 0, {}, bytearray(), [], b""
        self.keep_headers = keep_headers
        self._done = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(payload)
        return await self._done


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        url = urlsplit(args.url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        body = args.body.encode() if args.body else Path(args.body_file).read_bytes()
        headers = "".join(f"{h}\r\n" for h in args.header)
        head = (f"POST {url.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n")
        self.payload = head.encode() + body
        self.stream = args.stream
        self.expect_tokens = args.expect_tokens
        self.deltas = args.delta_tokens
        self.sample: dict[str, Any] | None = None

    def _connection(self) -> Connection:
        return Connection(self.stream, _DELTA_TOKEN if self.deltas else _TOKEN)

    async def connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(self._connection, self.host, self.port)
        return conn

    async def step(self, concurrency: int, duration: float, max_requests: int, warmup: float) -> dict[str, Any]:
        latencies: list[float] = []
        ttft: list[float] = []
        gaps: list[float] = []
        errors: dict[str, int] = {}
        budget = [max_requests]
        completed = [0]  # every answered request, warm-up included (for CPU time per request)
        phase = {"measure": False, "stop": False}
        # the measured window: an answer counts when it *ends* inside it (closed loop: so rps is exact)
        window = [float("inf"), float("inf")]

        async def worker() -> None:
            conn: Connection | None = None
            while not phase["stop"]:
                if conn is None or conn.closed.done():
                    try:
                        conn = await self.connect()
                    except OSError as exc:
                        errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                        await asyncio.sleep(0.05)
                        continue
                measuring = phase["measure"]
                if measuring:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                started = time.perf_counter()
                try:
                    ended = await conn.request(self.payload, keep_headers=self.sample is None)
                except (ConnectionError, httptools.HttpParserError) as exc:
                    if measuring:
                        errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    conn = None
                    continue
                completed[0] += 1
                if self.sample is None:
                    self.sample = {"status": conn.status, "headers": conn.headers,
                                   "body": conn.body[:2000].decode(errors="replace")}
                if not window[0] <= ended <= window[1]:
                    continue
                if conn.status != 200:
                    errors[f"http_{conn.status}"] = errors.get(f"http_{conn.status}", 0) + 1
                    continue
                if self.stream:
                    times = conn.token_times
                    if self.expect_tokens and len(times) != self.expect_tokens:
                        errors["short_stream"] = errors.get("short_stream", 0) + 1
                        continue
                    if times:
                        ttft.append((times[0] - started) * 1000)
                        gaps.extend((b - a) * 1000 for a, b in itertools.pairwise(times))
                latencies.append((ended - started) * 1000)

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        begun = time.perf_counter()
        deadline = begun + duration
        window[:] = [begun, deadline]
        phase["measure"] = True
        while time.perf_counter() < deadline and budget[0] > 0:
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - begun
        phase["stop"] = True
        _, pending = await asyncio.wait(tasks, timeout=10)
        for task in pending:
            task.cancel()
        result: dict[str, Any] = {
            "concurrency": concurrency, "elapsed_s": round(elapsed, 3), "count": len(latencies),
            "rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0, "errors": errors,
            "completed_total": completed[0],
            "latency_ms": percentiles(latencies),
        }
        if self.stream:
            result["ttft_ms"] = percentiles(ttft)
            result["gap_ms"] = percentiles(gaps)
        return result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    run = Run(args)
    if args.ramp:
        steps = []
        for concurrency in (int(c) for c in args.ramp.split(",")):
            step = await run.step(concurrency, args.duration, args.max_requests, args.warmup)
            steps.append(step)
            p99 = step["latency_ms"].get("p99", float("inf"))
            if p99 > args.ramp_stop_ms or step["errors"]:
                break  # past the knee: more concurrency only queues
        return {"ramp": steps, "sample": run.sample}
    result = await run.step(args.concurrency, args.duration, args.max_requests, args.warmup)
    result["sample"] = run.sample
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="closed-loop HTTP load generator")
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[], help="'name: value' (repeatable)")
    parser.add_argument("--body")
    parser.add_argument("--body-file")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=3.0, help="measured seconds (per ramp step)")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each measurement")
    parser.add_argument("--max-requests", type=int, default=100_000, help="hard cap per measurement")
    parser.add_argument("--ramp", help="comma-separated concurrencies; stops once p99 exceeds --ramp-stop-ms")
    parser.add_argument("--ramp-stop-ms", type=float, default=100.0)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--expect-tokens", type=int, default=0, help="token events per stream (0: any)")
    parser.add_argument("--delta-tokens", action="store_true", help="count Responses API deltas as the tokens")
    args = parser.parse_args()
    if not (args.body or args.body_file):
        parser.error("--body or --body-file is required")
    try:
        import uvloop

        result = uvloop.run(main_async(args))
    except ImportError:
        result = asyncio.run(main_async(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
