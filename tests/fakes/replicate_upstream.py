"""A fake Replicate API: predictions created synchronously (``Prefer: wait``), polled, or streamed.

Predictions echo their prompt as a list of tokens (``["echo:", " hi", ...]``), truncated to
``max_tokens``. A queued ``ReplicateScript`` makes the next creation fail with an HTTP
error, end as a failed prediction, stay unfinished for some polls, omit token metrics,
or emit an SSE ``error`` event after some output events.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class ReplicateScript:
    status: int = 201
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    pending_polls: int = 0
    fail_with: str | None = None
    metrics: bool = True
    stream_error_after: int | None = None
    no_stream: bool = False
    token_delay: float = 0.0


@dataclass
class _Prediction:
    data: dict[str, Any]
    tokens: list[str]
    script: ReplicateScript
    polls: int = 0


class FakeReplicate:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.queue: list[ReplicateScript] = []
        self.predictions: dict[str, _Prediction] = {}
        self.canceled: list[str] = []
        self._ids = itertools.count(1)
        self.app = Starlette(routes=[
            Route("/v1/models/{owner}/{name}/predictions", self.create, methods=["POST"]),
            Route("/v1/deployments/{owner}/{name}/predictions", self.create, methods=["POST"]),
            Route("/v1/predictions", self.create, methods=["POST"]),
            Route("/v1/predictions/{id}", self.get, methods=["GET"]),
            Route("/v1/predictions/{id}/cancel", self.cancel, methods=["POST"]),
            Route("/stream/{id}", self.stream, methods=["GET"]),
        ])

    def reset(self) -> None:
        for store in (self.requests, self.headers, self.paths, self.queue, self.canceled):
            store.clear()
        self.predictions.clear()

    async def create(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.paths.append(request.url.path)
        script = self.queue.pop(0) if self.queue else ReplicateScript()
        if script.status >= 400:
            return JSONResponse(script.body, status_code=script.status, headers=script.headers)
        base = str(request.base_url).rstrip("/")
        pid = f"p{next(self._ids)}"
        input_ = body["input"]
        words = f"echo: {input_['prompt'].splitlines()[-1]}".split(" ")
        limit = input_.get("max_tokens") or input_.get("max_new_tokens")
        tokens = [w if i == 0 else " " + w for i, w in enumerate(words)][:limit]
        urls = {"get": f"{base}/v1/predictions/{pid}", "cancel": f"{base}/v1/predictions/{pid}/cancel",
                "web": f"https://replicate.com/p/{pid}"}
        if body.get("stream") and not script.no_stream:
            urls["stream"] = f"{base}/stream/{pid}"
        data = {"id": pid, "model": request.path_params.get("name", "m"), "version": body.get("version", "v1"),
                "input": input_, "logs": "", "output": None, "error": None, "status": "starting",
                "created_at": "2026-11-24T06:00:00.000Z", "urls": urls}
        prediction = _Prediction(data, tokens, script)
        self.predictions[pid] = prediction
        if request.headers.get("prefer", "").startswith("wait") and not script.pending_polls:
            self._finish(prediction)
        return JSONResponse(data, status_code=201)

    def _finish(self, prediction: _Prediction) -> None:
        data, script = prediction.data, prediction.script
        if data["status"] in ("succeeded", "failed", "canceled"):
            return
        if script.fail_with:
            data.update(status="failed", error=script.fail_with)
            return
        data.update(status="succeeded", output=prediction.tokens, completed_at="2026-11-24T06:00:01.000Z")
        data["metrics"] = {"predict_time": 0.5}
        if script.metrics:
            data["metrics"].update(input_token_count=len(data["input"]["prompt"].split()) + 3,
                                   output_token_count=len(prediction.tokens))

    async def get(self, request: Request) -> Response:
        prediction = self.predictions[request.path_params["id"]]
        self.headers.append(dict(request.headers))
        prediction.polls += 1
        if prediction.polls > prediction.script.pending_polls:
            self._finish(prediction)
        elif prediction.data["status"] == "starting":
            prediction.data["status"] = "processing"
        return JSONResponse(prediction.data)

    async def cancel(self, request: Request) -> Response:
        prediction = self.predictions[request.path_params["id"]]
        self.canceled.append(prediction.data["id"])
        prediction.data["status"] = "canceled"
        return JSONResponse(prediction.data)

    async def stream(self, request: Request) -> Response:
        prediction = self.predictions[request.path_params["id"]]
        self.headers.append(dict(request.headers))
        return StreamingResponse(self._events(prediction), media_type="text/event-stream")

    async def _events(self, prediction: _Prediction):  # type: ignore[no-untyped-def]
        script = prediction.script
        for n, token in enumerate(prediction.tokens):
            if script.stream_error_after is not None and n == script.stream_error_after:
                yield f"event: error\nid: {n}\ndata: {json.dumps({'detail': 'CUDA out of memory'})}\n\n"
                return
            yield f"event: output\nid: {n}\ndata: {token}\n\n"
            await asyncio.sleep(script.token_delay)
        self._finish(prediction)
        yield f"event: done\nid: {len(prediction.tokens)}\ndata: {{}}\n\n"
