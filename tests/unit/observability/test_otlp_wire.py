"""``otlp_wire.encode_spans`` decodes to exactly what the SDK's protobuf encoder builds."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    set_span_in_context,
)
from opentelemetry.trace.span import TraceState

from tollway.observability.otlp_wire import encode_spans

ATTRIBUTES: dict[str, Any] = {
    "s": "value", "empty": "", "unicode": "café ☕", "t": True, "f": False, "zero": 0, "n": -42,
    "big": 2**62, "pi": 3.25, "fzero": 0.0, "strs": ["a", ""], "ints": [1, -2, 0], "bools": [True, False],
    "floats": [0.5, -1.0], "none": [],
}


def _spans(provider: TracerProvider, exporter: InMemorySpanExporter, tracer_args: dict[str, Any]) -> None:
    tracer = provider.get_tracer(**tracer_args)
    remote = SpanContext(trace_id=0x0AF7651916CD43DD8448EB211C80319C, span_id=0xB7AD6B7169203331, is_remote=True,
                         trace_flags=TraceFlags(1), trace_state=TraceState([("vendor", "x1"), ("other", "y")]))
    parent = set_span_in_context(NonRecordingSpan(remote))
    with tracer.start_as_current_span("POST /v1/chat/completions", context=parent, kind=SpanKind.SERVER,
                                      attributes=ATTRIBUTES) as server:
        server.add_event("tollway.guardrail.violation", attributes={"tollway.guardrail.name": "pii", "n": 3})
        server.add_event("bare")
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT,
                                          links=[Link(remote, {"why": "retry"}), Link(server.get_span_context())],
                                          record_exception=False, set_status_on_exception=False) as client:
            client.set_status(Status(StatusCode.ERROR, "upstream 503"))
        with tracer.start_as_current_span("tollway.settle") as settle:
            settle.set_status(Status(StatusCode.OK))
        for kind in (SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL):
            tracer.start_span("", kind=kind).end()


def _batch() -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    for resource, limits, scope in (
        (Resource.create({"service.name": "tollway", "n": 1}), SpanLimits(), {"instrumenting_module_name": "tollway"}),
        (Resource({"service.name": "other"}, schema_url="https://opentelemetry.io/schemas/1.21.0"),
         SpanLimits(max_attributes=3, max_events=1, max_links=1),
         {"instrumenting_module_name": "lib", "instrumenting_library_version": "1.2",
          "schema_url": "https://example.test/s", "attributes": {"scope.attr": "v"}}),
        (Resource({}), SpanLimits(max_events=0, max_links=0), {"instrumenting_module_name": "none-kept"}),
    ):
        provider = TracerProvider(resource=resource, span_limits=limits)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        _spans(provider, exporter, scope)
        _spans(provider, exporter, {"instrumenting_module_name": "second"})
    return list(exporter.get_finished_spans())


def test_decodes_equal_to_the_sdk_encoding() -> None:
    spans = _batch()
    ours = ExportTraceServiceRequest.FromString(encode_spans(spans))
    assert ours == sdk_encode_spans(spans)
    assert len(ours.resource_spans) == 3
    assert sum(len(s.spans) for r in ours.resource_spans for s in r.scope_spans) == len(spans) == 36
    dropped = [s for s in ours.resource_spans[1].scope_spans[0].spans if s.dropped_attributes_count]
    assert dropped and dropped[0].dropped_events_count == 1 and dropped[0].dropped_links_count == 0
    none_kept = ours.resource_spans[2].scope_spans[0].spans
    assert {(s.dropped_events_count, s.dropped_links_count) for s in none_kept} >= {(2, 0), (0, 2)}


def test_empty_batch_is_an_empty_request() -> None:
    assert encode_spans([]) == b""
    assert ExportTraceServiceRequest.FromString(b"") == sdk_encode_spans([])


def test_unencodable_value_is_refused() -> None:
    from tollway.observability.otlp_wire import _any_value

    with pytest.raises(TypeError):
        _any_value(object())


@pytest.mark.parametrize(("endpoint", "light"), [
    ("http://localhost:4318/v1/traces", True), ("http://127.0.0.1:4318/v1/traces", True),
    ("https://localhost:4318/v1/traces", False), ("http://collector.internal:4318/v1/traces", False)])
def test_a_plain_loopback_collector_is_posted_to_without_requests(endpoint: str, light: bool,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A local collector gets the SDK's urllib3 transport (half requests' CPU per export); anything else keeps
    the SDK's requests transport, which honours proxies and TLS settings from the environment."""
    from opentelemetry.exporter.http.transport._requests import RequestsHTTPTransport
    from opentelemetry.exporter.http.transport._urllib3 import Urllib3HTTPTransport

    from tollway.observability.otlp_wire import SpanExporter

    expected = Urllib3HTTPTransport if light else RequestsHTTPTransport
    assert type(SpanExporter(endpoint=endpoint)._client._transport) is expected
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.removesuffix("/v1/traces"))
    assert type(SpanExporter()._client._transport) is expected
    monkeypatch.setenv("OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER", "none-installed")
    with pytest.raises(RuntimeError):  # a credential provider needs the requests session: the SDK's own path
        SpanExporter()
