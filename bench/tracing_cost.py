"""Tracing's CPU cost: ``tollway serve`` with tracing off, then on, under the same sequential load.

Two fresh ``tollway serve`` (embedded store), one per setting, take the same chat calls in alternating
blocks; each one's own CPU time (user + system, all threads, from /proc) is read before and after.
With tracing on, spans are exported over OTLP/HTTP to a loopback sink that accepts and drops them,
so the export thread's CPU is counted too. Reported: CPU ms per request for each, and the overhead.

Two cases: the ``mock`` model (no upstream call at all: the smallest request, so the largest share
for tracing) and, when an upstream is given, an ``openai/`` deployment calling the benchmarks' fake
upstream on loopback (what a request does in production: one HTTP call out, with ``traceparent``
injected into it when tracing is on).
"""

from __future__ import annotations

import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from procs import Proc, free_port, wait_ready

CONFIG = """
model_list:
  - model_name: m
    litellm_params: {model: mock/m, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002}
"""


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a collector's receiver
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def _start(name: str, config: Path, data: Path, env: dict[str, str]) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(name, [sys.executable, "-m", "tollway", "serve", "--config", str(config), "--port", str(port),
                       "--data-dir", str(data)], env=env).start()
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{base}/health/readiness")
    return proc, base


def _calls(client: httpx.Client, base: str, count: int) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}
    for _ in range(count):
        client.post(f"{base}/v1/chat/completions", json=body).raise_for_status()


def upstream_config(upstream_base: str) -> str:
    """A config whose model ``m`` is an OpenAI deployment at ``upstream_base`` (the fake's ``/v1`` prefix)."""
    return (f"model_list:\n  - model_name: m\n    litellm_params: {{model: openai/m, api_base: {upstream_base!r}, "
            "api_key: sk-bench, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002}\n")


def overhead(requests: int = 1000, warmup: int = 100, rounds: int = 50, config: str = CONFIG) -> dict[str, Any]:
    """CPU ms per request with tracing off and on (same process shape, same load), and the ratio.

    Both servers run side by side and take the load in alternating blocks (``rounds`` of each,
    the order flipped every round), so a busy spell on a shared machine falls on both alike
    instead of on whichever ran second; each server's CPU is read over the whole interleaved run.
    """
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    procs: list[Proc] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            off_config, on_config = Path(tmp) / "off.yaml", Path(tmp) / "on.yaml"
            off_config.write_text(config)
            on_config.write_text(config + 'litellm_settings: {callbacks: ["otel"]}\n')
            endpoint = f"http://127.0.0.1:{sink.server_address[1]}"
            servers = [_start("tracing-off", off_config, Path(tmp) / "off", {}),
                       _start("tracing-on", on_config, Path(tmp) / "on", {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})]
            procs = [proc for proc, _ in servers]
            per_round = max(1, requests // rounds)
            with httpx.Client(timeout=30) as client:
                for _, base in servers:
                    _calls(client, base, warmup)
                before = [proc.cpu_seconds() for proc in procs]
                for round_ in range(rounds):
                    for _, base in servers if round_ % 2 == 0 else servers[::-1]:
                        _calls(client, base, per_round)
                after = [proc.cpu_seconds() for proc in procs]
            off, on = ((a - b) * 1000 / (per_round * rounds) for a, b in zip(after, before, strict=True))
    finally:
        for proc in procs:
            proc.stop()
        sink.shutdown()
    return {"requests": per_round * rounds, "cpu_ms_per_request_off": round(off, 3),
            "cpu_ms_per_request_on": round(on, 3), "overhead_pct": round((on - off) / off * 100, 1) if off else None}


def flush_latency(requests: int = 200) -> dict[str, Any]:
    """Wall ms a Lambda response waits for its spans to reach the local collector (``flushes_each_request``):
    one request's four spans (server, reserve, attempt, settle) exported to a loopback OTLP/HTTP receiver
    (this file's sink, Python's http.server: slower than the ADOT collector's Go receiver)."""
    import os
    import statistics
    import time

    from opentelemetry import context as otel_context
    from opentelemetry import trace

    from tollway.observability import tracing

    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    saved = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{sink.server_address[1]}"
    try:
        state = tracing._Tracing(otel=True, langfuse=False)
        assert state.otlp is not None
        waits = []
        for _ in range(requests + 20):
            server = state.spans.root("POST", trace.SpanKind.SERVER, {"url.path": "/v1/chat/completions"}, None)
            token = otel_context.attach(trace.set_span_in_context(server))
            for name in ("tollway.reserve", "chat gpt-4o", "tollway.settle"):
                state.spans.child(name, attributes={"gen_ai.request.model": "gpt-4o"}).end()
            otel_context.detach(token)
            server.end()
            started = time.perf_counter()
            assert state.otlp.force_flush()
            waits.append((time.perf_counter() - started) * 1000)
        state.provider.shutdown()
    finally:
        if saved is None:
            os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        else:
            os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = saved
        sink.shutdown()
    ordered = sorted(waits[20:])
    return {"requests": requests, "wall_ms_p50": round(statistics.median(ordered), 3),
            "wall_ms_p95": round(ordered[int(len(ordered) * 0.95)], 3)}


def cases(requests: int = 1000, upstream_base: str | None = None) -> dict[str, Any]:
    """The ``mock`` case's figures at the top level (as before), the upstream case's under ``upstream``, and
    the per-request flush a Lambda response waits for under ``lambda_flush``."""
    out = overhead(requests)
    if upstream_base is not None:
        out["upstream"] = overhead(requests, config=upstream_config(upstream_base))
    out["lambda_flush"] = flush_latency()
    return out


if __name__ == "__main__":
    # python bench/tracing_cost.py [requests] [upstream /v1 base, e.g. http://127.0.0.1:18000/b/0/0/0/v1]
    print(cases(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, sys.argv[2] if len(sys.argv) > 2 else None))
