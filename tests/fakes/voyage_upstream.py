"""A fake Voyage AI embeddings API (``POST /v1/embeddings``) speaking Voyage's real shapes.

Answers carry ``usage: {"total_tokens"}`` only (as Voyage does), vectors of ``output_dimension``
floats (default 4), or base64 of little-endian float32 when ``encoding_format: base64``. Errors are
Voyage's ``{"detail": "..."}`` with its status. Tests script errors (``fake.queue``) and read what
it received (``fake.requests``, ``fake.headers``).
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Scripted:
    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeVoyage:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.queue: list[Scripted] = []
        self.app = Starlette(routes=[Route("/v1/embeddings", self.embeddings, methods=["POST"])])

    def reset(self) -> None:
        self.requests.clear()
        self.headers.clear()
        self.queue.clear()

    async def embeddings(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.queue:
            script = self.queue.pop(0)
            return JSONResponse({"detail": script.detail}, status_code=script.status, headers=script.headers)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dims = body.get("output_dimension") or 4
        data = []
        for i in range(len(inputs)):
            vector = [round(0.25 * (i + 1) + 0.01 * j, 4) for j in range(dims)]
            encoded: Any = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            data.append({"object": "embedding", "embedding": encoded, "index": i})
        tokens = sum(len(str(text).split()) for text in inputs)
        return JSONResponse({"object": "list", "data": data, "model": body["model"],
                             "usage": {"total_tokens": tokens}})
