"""Tracing's CPU cost: ``tollway serve`` with tracing off, then on, under the same sequential load.

Each run is a fresh ``tollway serve`` (embedded store, ``mock`` model, no upstream I/O) whose own CPU
time (user + system, all threads, from /proc) is read before and after ``requests`` chat calls.
With tracing on, spans are exported over OTLP/HTTP to a loopback sink that accepts and drops them,
so the export thread's CPU is counted too. Reported: CPU ms per request for each, and the overhead.
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
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def _run(config: Path, data: Path, env: dict[str, str], requests: int, warmup: int) -> float:
    port = free_port()
    proc = Proc(f"tracing-{'on' if 'OTEL_EXPORTER_OTLP_ENDPOINT' in env else 'off'}",
                [sys.executable, "-m", "tollway", "serve", "--config", str(config), "--port", str(port),
                 "--data-dir", str(data)], env=env).start()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(proc, f"{base}/health/readiness")
        body = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}
        with httpx.Client(timeout=30) as client:
            for _ in range(warmup):
                client.post(f"{base}/v1/chat/completions", json=body).raise_for_status()
            before = proc.cpu_seconds()
            for _ in range(requests):
                client.post(f"{base}/v1/chat/completions", json=body).raise_for_status()
            after = proc.cpu_seconds()
        return (after - before) * 1000 / requests
    finally:
        proc.stop()


def overhead(requests: int = 1000, warmup: int = 100) -> dict[str, Any]:
    """CPU ms per request with tracing off and on (same process shape, same load), and the ratio."""
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            off_config, on_config = Path(tmp) / "off.yaml", Path(tmp) / "on.yaml"
            off_config.write_text(CONFIG)
            on_config.write_text(CONFIG + 'litellm_settings: {callbacks: ["otel"]}\n')
            endpoint = f"http://127.0.0.1:{sink.server_address[1]}"
            off = _run(off_config, Path(tmp) / "off", {}, requests, warmup)
            on = _run(on_config, Path(tmp) / "on", {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, requests, warmup)
    finally:
        sink.shutdown()
    return {"requests": requests, "cpu_ms_per_request_off": round(off, 3), "cpu_ms_per_request_on": round(on, 3),
            "overhead_pct": round((on - off) / off * 100, 1) if off else None}


if __name__ == "__main__":
    print(overhead(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
