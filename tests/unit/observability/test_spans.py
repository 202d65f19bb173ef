"""``spans.SpanRecorder``: Tollway's request spans, made without the SDK's ``Span`` but kept to its rules."""

from __future__ import annotations

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace.span import TraceState

from tollway.observability.otlp_wire import encode_spans
from tollway.observability.spans import RecordedSpan, SpanRecorder

TRACE_ID, PARENT_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7


def _recorder(**provider_args: object) -> tuple[SpanRecorder, InMemorySpanExporter]:
    provider = TracerProvider(resource=Resource.create({"service.name": "tollway"}), **provider_args)  # type: ignore[arg-type]
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return SpanRecorder(provider, "tollway"), memory


def _remote(sampled: bool) -> otel_context.Context:
    flags = "01" if sampled else "00"
    return TraceContextTextMapPropagator().extract(
        {"traceparent": f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-{flags}", "tracestate": "vendor=x1"})


def _request(recorder: SpanRecorder, parent: otel_context.Context | None = None) -> trace.Span:
    """A server span with a reserve, a client and a settle span under it, as a request makes them."""
    server = recorder.root("POST", SpanKind.SERVER, {"url.path": "/v1/chat/completions"}, parent)
    token = otel_context.attach(trace.set_span_in_context(server, parent))
    try:
        recorder.child("tollway.reserve").end()
        client = recorder.child("chat gpt-4o", SpanKind.CLIENT, {"gen_ai.request.model": "gpt-4o"})
        client.set_attributes({"gen_ai.usage.input_tokens": 8, "gen_ai.response.finish_reasons": ["stop"]})
        client.end()
        recorder.child("tollway.settle", attributes={"tollway.status": "success"}).end()
    finally:
        otel_context.detach(token)
    server.update_name("POST /v1/chat/completions")
    server.end()
    return server


def test_a_request_tree_continues_the_incoming_trace() -> None:
    recorder, memory = _recorder()
    server = _request(recorder, _remote(sampled=True))
    reserve, client, settle, finished = memory.get_finished_spans()
    assert isinstance(server, RecordedSpan) and finished is server
    assert finished.name == "POST /v1/chat/completions" and finished.kind is SpanKind.SERVER
    assert finished.parent is not None and finished.parent.span_id == PARENT_ID and finished.parent.is_remote
    server_context = server.get_span_context()
    assert server_context.trace_id == TRACE_ID and server_context.trace_flags.sampled
    assert server_context.trace_state == TraceState([("vendor", "x1")])
    for child in (reserve, client, settle):
        assert child.context is not None and child.parent is not None
        assert child.context.trace_id == TRACE_ID and child.parent.span_id == server_context.span_id
        assert child.context.trace_state == server_context.trace_state
        assert child.start_time is not None and child.end_time is not None and child.start_time <= child.end_time
    assert len({s.context.span_id for s in (reserve, client, settle, finished) if s.context}) == 4
    assert dict(client.attributes or {}) == {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 8,
                                             "gen_ai.response.finish_reasons": ["stop"]}


def test_without_a_parent_a_new_trace_starts() -> None:
    recorder, memory = _recorder()
    _request(recorder)
    spans = memory.get_finished_spans()
    assert spans[-1].parent is None
    assert len({s.context.trace_id for s in spans if s.context}) == 1


def test_an_unsampled_incoming_trace_is_followed_and_nothing_is_recorded() -> None:
    recorder, memory = _recorder()
    server = _request(recorder, _remote(sampled=False))
    assert isinstance(server, NonRecordingSpan) and not server.get_span_context().trace_flags.sampled
    assert server.get_span_context().trace_id == TRACE_ID
    assert memory.get_finished_spans() == ()


@pytest.mark.parametrize("sampler", [ALWAYS_OFF, ParentBased(TraceIdRatioBased(0.0))])
def test_the_providers_sampler_decides_for_the_whole_request(sampler: object) -> None:
    recorder, memory = _recorder(sampler=sampler)
    _request(recorder)
    assert memory.get_finished_spans() == ()


def test_attributes_are_copied_and_frozen_at_the_end() -> None:
    recorder, memory = _recorder()
    shared = {"tollway.status": "released"}
    span = recorder.child("tollway.settle", attributes=shared)
    span.set_attribute("tollway.cost_usd", 0.5)
    span.set_attribute("dropped", None)
    span.set_status(Status(StatusCode.ERROR, "boom"))
    span.end()
    span.set_attribute("late", 1)
    span.update_name("renamed")
    span.set_status(StatusCode.OK)
    span.end()  # a second end exports nothing more
    [finished] = memory.get_finished_spans()
    assert shared == {"tollway.status": "released"}
    assert dict(finished.attributes or {}) == {"tollway.status": "released", "tollway.cost_usd": 0.5}
    assert finished.name == "tollway.settle" and not span.is_recording()
    assert finished.status.status_code is StatusCode.ERROR and finished.status.description == "boom"


def test_an_exception_is_an_event_as_the_sdk_records_it() -> None:
    recorder, memory = _recorder()
    span = recorder.child("tollway.reserve")
    try:
        raise ValueError("team budget exceeded")
    except ValueError as exc:
        span.record_exception(exc)
    span.end()
    [event] = memory.get_finished_spans()[0].events
    assert event.name == "exception"
    attributes = dict(event.attributes or {})
    assert attributes["exception.type"] == "ValueError"
    assert attributes["exception.message"] == "team budget exceeded"
    assert "ValueError: team budget exceeded" in str(attributes["exception.stacktrace"])


def test_recorded_spans_encode_as_the_sdk_encodes_them() -> None:
    recorder, memory = _recorder()
    server = _request(recorder, _remote(sampled=True))
    assert isinstance(server, RecordedSpan) and memory.get_finished_spans()[-1] is server
    server.add_event("after end")  # ignored
    spans = memory.get_finished_spans()
    ours = ExportTraceServiceRequest.FromString(encode_spans(spans))
    assert ours == sdk_encode_spans(spans)
    assert len(ours.resource_spans[0].scope_spans[0].spans) == 4


def test_a_span_under_a_foreign_current_span_is_its_child() -> None:
    recorder, memory = _recorder()
    foreign = SpanContext(TRACE_ID, PARENT_ID, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(foreign)))
    try:
        recorder.child("tollway.reserve").end()
    finally:
        otel_context.detach(token)
    [span] = memory.get_finished_spans()
    assert span.parent == foreign and span.context is not None and span.context.trace_id == TRACE_ID


class _RecordOnly(ParentBased):
    """A sampler that records but never samples (``RECORD_ONLY``)."""

    def should_sample(self, *args: object, **kwargs: object) -> SamplingResult:  # type: ignore[override]
        return SamplingResult(Decision.RECORD_ONLY)


class _Tagging(ParentBased):
    """A sampler that samples and adds an attribute of its own, as a sampler may."""

    def should_sample(self, *args: object, **kwargs: object) -> SamplingResult:  # type: ignore[override]
        return SamplingResult(Decision.RECORD_AND_SAMPLE, {"sampler.rule": "all"})


def test_another_sampler_is_asked_and_its_attributes_kept() -> None:
    recorder, memory = _recorder(sampler=_Tagging(ALWAYS_OFF))
    assert not recorder.default_sampling
    _request(recorder)
    server = memory.get_finished_spans()[-1]
    assert dict(server.attributes or {}) == {"url.path": "/v1/chat/completions", "sampler.rule": "all"}
    recorder, memory = _recorder(sampler=_RecordOnly(ALWAYS_ON))
    assert isinstance(_request(recorder), NonRecordingSpan) and memory.get_finished_spans() == ()


def test_spans_reach_a_batch_processor_and_one_added_later() -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "tollway"}))
    batched = InMemorySpanExporter()
    provider.add_span_processor(BatchSpanProcessor(batched))
    recorder = SpanRecorder(provider, "tollway")
    assert recorder.default_sampling
    _request(recorder)
    later = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(later))
    _request(recorder)
    assert provider.force_flush()
    assert len(batched.get_finished_spans()) == 8 and len(later.get_finished_spans()) == 4
    assert [s.name for s in later.get_finished_spans()] == [s.name for s in batched.get_finished_spans()[4:]]
    provider.shutdown()
