"""Emulated Lambda cold start: the real runtime client (awslambdaric) against a local Runtime API.

``RuntimeAPI`` implements the part of the Lambda Runtime API (2018-06-01) a runtime uses:
``GET /runtime/invocation/next`` hands out queued events, ``POST .../{id}/response`` and
``.../{id}/error`` collect the answers, ``POST /runtime/init/error`` records a failed init.
``measure()`` starts ``python -m awslambdaric <handler>`` as Lambda would (its environment
variables, a fresh interpreter), then times from spawn to the first ``next`` (init: the
interpreter, the runtime client and the handler module's import), to the first response
(init + first invoke) and the second invoke (warm).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from procs import BENCH, Proc

PREFIX = "/2018-06-01/runtime"


class RuntimeAPI:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.marks: dict[str, float] = {}
        self.responses: list[Any] = []
        self.errors: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._closing = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _reply(self, status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404)
                    return
                event = api._next_event()
                if event is None:
                    self._reply(500, b'{"errorMessage":"runtime API closing"}')
                    return
                request_id = str(uuid.uuid4())
                api.marks.setdefault(f"next{len(api.responses) + len(api.errors)}", time.perf_counter())
                self._reply(200, json.dumps(event).encode(), {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60_000),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                    "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
                })

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                now = time.perf_counter()
                try:
                    payload = json.loads(body) if body else None
                except ValueError:
                    payload = body.decode(errors="replace")
                if self.path.endswith("/response"):
                    api.marks[f"response{len(api.responses)}"] = now
                    api.responses.append(payload)
                elif self.path.endswith("/error"):
                    api.marks.setdefault("error", now)
                    api.errors.append({"path": self.path, "body": payload})
                else:
                    self._reply(404)
                    return
                self._reply(202, b'{"status":"OK"}')
                with api._cond:
                    api._cond.notify_all()

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                return None  # the runtime is killed while long-polling /next: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _next_event(self) -> dict[str, Any] | None:
        with self._cond:
            while not self.events and not self._closing:
                self._cond.wait(timeout=0.5)
            return self.events.pop(0) if self.events else None

    def wait_for(self, answers: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.responses) + len(self.errors) < answers and time.monotonic() < deadline:
                self._cond.wait(timeout=0.2)
        return len(self.responses) + len(self.errors) >= answers

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self.server.shutdown()
        self.server.server_close()


def rest_event(path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway REST API (v1) proxy event, as ``{proxy+}`` integrations send it."""
    all_headers = {"Host": "abcdef1234.execute-api.us-east-1.amazonaws.com", "Content-Type": "application/json",
                   "User-Agent": "bench", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Port": "443",
                   "X-Forwarded-Proto": "https", **headers}
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": "POST",
        "headers": all_headers, "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123", "resourcePath": "/{proxy+}", "httpMethod": "POST", "path": f"/prod{path}",
            "stage": "prod", "requestId": str(uuid.uuid4()), "extendedRequestId": "bench=",
            "requestTime": "24/Nov/2026:08:00:00 +0000", "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1", "accountId": "123456789012", "apiId": "abcdef1234", "domainName":
            "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench", "accessKey": None, "caller": None,
                         "user": None, "userArn": None, "accountId": None, "cognitoIdentityId": None},
        },
        "body": json.dumps(body), "isBase64Encoded": False,
    }


def measure(name: str, python: str, handler: str, event: dict[str, Any], *, pythonpath: list[Path],
            env: dict[str, str], timeout: float = 90.0) -> dict[str, Any]:
    """One cold start: spawn, init, first invoke, second (warm) invoke. Times in ms."""
    api = RuntimeAPI()
    api.events.extend([event, event])
    task_root = str(BENCH)
    lambda_env = {
        "AWS_LAMBDA_RUNTIME_API": api.address, "_HANDLER": handler, "LAMBDA_TASK_ROOT": task_root,
        "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11", "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "PYTHONDONTWRITEBYTECODE": "", **env,
    }
    proc = Proc(f"coldstart-{name}", [python, "-m", "awslambdaric", handler], env=lambda_env)
    spawned = time.perf_counter()
    proc.start()
    try:
        answered = api.wait_for(2, timeout)
    finally:
        proc.stop(timeout=5)
        api.close()
    result: dict[str, Any] = {"ok": False}
    if not answered or api.errors or len(api.responses) < 2:
        result["problem"] = (f"errors={json.dumps(api.errors)[:600]}" if api.errors else "no answer in time") + \
            f"\n{proc.tail(8)}"
        return result
    first = api.responses[0]
    status = first.get("statusCode") if isinstance(first, dict) else None
    result.update({
        "ok": status == 200 and api.responses[1].get("statusCode") == 200,
        "status": status,
        "init_ms": round((api.marks["next0"] - spawned) * 1000, 1),
        "first_invoke_ms": round((api.marks["response0"] - api.marks["next0"]) * 1000, 1),
        "cold_total_ms": round((api.marks["response0"] - spawned) * 1000, 1),
        "warm_invoke_ms": round((api.marks["response1"] - api.marks["next1"]) * 1000, 1),
    })
    if not result["ok"]:
        result["problem"] = f"status {status}: {str(first)[:400]}"
    return result


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    good = [r for r in runs if r.get("ok")]
    if not good:
        return runs[-1] if runs else {"ok": False, "problem": "not run"}
    best = min(good, key=lambda r: r["cold_total_ms"])
    return {**best, "runs": len(runs), "cold_total_all_ms": [r.get("cold_total_ms") for r in runs]}
