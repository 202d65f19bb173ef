"""Fixtures for observability tests: a store for keys and teams, a loopback OTLP/HTTP receiver."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.servers import serve_app
from tests.support.tables import fresh_tables


@pytest.fixture(scope="module")
def table_prefix(dynamodb_endpoint: str) -> Iterator[str]:
    """A unique ``TOLLWAY_TABLE_PREFIX`` for this module, its tables created."""
    with fresh_tables("o") as prefix:
        yield prefix


@dataclass
class Export:
    path: str
    headers: dict[str, str]
    raw: bytes
    spans: list[Any]  # opentelemetry.proto.trace.v1.trace_pb2.Span


@dataclass
class OtlpReceiver:
    """Accepts OTLP/HTTP protobuf trace exports on any path and decodes them (``hold`` blocks exports)."""

    url: str = ""
    exports: list[Export] = field(default_factory=list)
    hold: threading.Event | None = None

    def spans(self, path: str | None = None) -> list[Any]:
        return [s for e in self.exports if path is None or e.path == path for s in e.spans]

    def flush_until_served(self, count: int = 1) -> list[Any]:
        """Flush the gateway's spans until ``count`` SERVER spans have arrived; those spans.

        The server span ends after the client has read the response, so a single flush can run
        before it ends. Bounded: at most 100 flushes, 20 ms apart.
        """
        from tollway.observability import tracing

        served: list[Any] = []
        for _ in range(100):
            assert tracing.force_flush()
            served = [s for s in self.spans() if s.kind == s.SPAN_KIND_SERVER]
            if len(served) >= count:
                break
            time.sleep(0.02)
        return served

    def raw(self) -> bytes:
        return b"".join(e.raw for e in self.exports)

    async def receive(self, request: Request) -> Response:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 30)
        body = await request.body()
        assert request.headers["content-type"] == "application/x-protobuf"
        decoded = ExportTraceServiceRequest.FromString(body)
        spans = [span for rs in decoded.resource_spans for ss in rs.scope_spans for span in ss.spans]
        self.exports.append(Export(request.url.path, dict(request.headers), body, spans))
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf")


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    app = Starlette(routes=[Route("/{path:path}", receiver.receive, methods=["POST"])])
    server = serve_app(app)
    receiver.url = server.url
    yield receiver
    if receiver.hold is not None:
        receiver.hold.set()
    server.stop()


def attributes(span: Any) -> dict[str, Any]:
    """A protobuf span's attributes as plain Python values."""
    out: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "array_value":
            out[kv.key] = [getattr(v, v.WhichOneof("value")) for v in value.array_value.values]
        else:
            out[kv.key] = getattr(value, kind)
    return out
