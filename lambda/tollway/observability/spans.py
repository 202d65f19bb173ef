"""The spans of a request's tree, made without the SDK's per-span machinery.

The SDK's ``Tracer.start_span`` is general: a sampler call per span, a lock and validated bounded
collections per span, its ``Span`` guarding every write for concurrent use. For Tollway's own spans
(server, auth, reserve, each upstream attempt, settle) that machinery was most of what tracing cost:
about 0.5 ms of CPU per request, a sixth of a whole request's on the benchmark's mock model.
``SpanRecorder`` makes them as plain objects that implement the OpenTelemetry API's ``Span`` (so the
API's context, propagation and ``get_current_span`` work as with any span) and are the SDK's
``ReadableSpan`` too: when one ends it goes to the tracer provider's span processors, so the batching,
the exporters (OTLP, Langfuse) and ``force_flush`` are the SDK's own.

What it keeps of the SDK's behaviour: trace and span ids from the provider's id generator; the
provider's sampler decides once per request, at its server span (with the incoming parent, so the
default ``parentbased_always_on`` and any ``OTEL_TRACES_SAMPLER`` apply), and the child spans follow
that decision as ``ParentBased`` samplers do; attributes whose value is None are left out; an
exception recorded as the SDK records it (an ``exception`` event). What it leaves out: attribute and
event count limits (Tollway's spans carry a fixed, small set) and span processors' ``on_start``
(Tollway's processors, batch and simple, do nothing there).
"""

from __future__ import annotations

import contextvars
import time
import traceback
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import TraceState
    from opentelemetry.util.types import Attributes, AttributeValue

#: what a child span copies from its parent: trace id, flags, trace state, and whether it is sampled
Lineage = tuple[int, TraceFlags, "TraceState | None", bool]
#: the recorded span made current by ``SpanRecorder.enter`` (alongside the OpenTelemetry context, which stays
#: the reference: a span another tracer made current there is what ``child`` parents to when this is unset)
_current: contextvars.ContextVar[RecordedSpan | None] = contextvars.ContextVar("tollway_span", default=None)
_SAMPLED, _NOT_SAMPLED = TraceFlags(TraceFlags.SAMPLED), TraceFlags(TraceFlags.DEFAULT)
_UNSET = Status(StatusCode.UNSET)


class SpanRecorder:
    """Makes ``RecordedSpan``s for one tracer provider (its resource, ids, sampler and processors)."""

    def __init__(self, provider: TracerProvider, scope: str) -> None:
        self.resource = provider.resource
        self.ids = provider.id_generator
        self.sampler = provider.sampler
        #: the provider's processors as one (processors added to the provider later are included)
        self.processor = provider._active_span_processor  # the SDK keeps no public handle on it
        self.scope = InstrumentationScope(scope)

    def root(self, name: str, kind: SpanKind, attributes: dict[str, Any], parent: Context | None) -> trace.Span:
        """The request's span in this process, under ``parent`` (an extracted remote context) when given."""
        remote = trace.get_current_span(parent).get_span_context() if parent is not None else None
        if remote is not None and not remote.is_valid:
            remote = None
        trace_id = remote.trace_id if remote is not None else self.ids.generate_trace_id()
        sampled = self.sampler.should_sample(parent, trace_id, name, kind, attributes)
        context = SpanContext(trace_id, self.ids.generate_span_id(), False,
                              _SAMPLED if sampled.decision is Decision.RECORD_AND_SAMPLE else _NOT_SAMPLED,
                              sampled.trace_state)
        if sampled.decision is Decision.DROP:
            return NonRecordingSpan(context)
        if sampled.attributes:
            attributes = {**attributes, **sampled.attributes}
        flags = context.trace_flags
        return RecordedSpan(self, name, context, remote, kind=kind, attributes=attributes,
                            lineage=(trace_id, flags, sampled.trace_state, flags.sampled))

    def enter(self, span: trace.Span, parent: Context | None = None) -> tuple[object, object]:
        """Make ``span`` the current span (in the OpenTelemetry context, under ``parent`` when given); ``exit``
        with what this returns."""
        return (otel_context.attach(trace.set_span_in_context(span, parent)),
                _current.set(span if type(span) is RecordedSpan else None))

    @staticmethod
    def exit(tokens: tuple[object, object]) -> None:
        otel, own = tokens
        try:
            _current.reset(own)  # type: ignore[arg-type]
        except ValueError:  # entered in another context: never fail a request over tracing (as ``detach``)
            _current.set(None)
        otel_context.detach(otel)  # type: ignore[arg-type]

    @staticmethod
    def current() -> RecordedSpan | None:
        """The recorded span ``enter`` made current, if any."""
        return _current.get()

    def child(self, name: str, kind: SpanKind = SpanKind.INTERNAL,
              attributes: dict[str, Any] | None = None) -> trace.Span:
        """A span under the current one, recorded when that one is (the request's sampling decision)."""
        current = _current.get() or trace.get_current_span()
        if type(current) is RecordedSpan:  # the usual case, read without SpanContext's property calls
            parent = current._span_context
            trace_id, flags, trace_state, sampled = current._lineage
        else:
            parent = current.get_span_context()
            if not parent.is_valid:  # no request span: a trace of its own
                return self.root(name, kind, attributes or {}, None)
            trace_id, flags, trace_state = parent.trace_id, parent.trace_flags, parent.trace_state
            sampled = flags.sampled
        context = SpanContext(trace_id, self.ids.generate_span_id(), False, flags, trace_state)
        if not sampled:
            return NonRecordingSpan(context)
        return RecordedSpan(self, name, context, parent, kind=kind, attributes=attributes or {},
                            lineage=(trace_id, flags, trace_state, sampled))


class RecordedSpan(ReadableSpan, trace.Span):
    """One span: the API's ``Span`` while it runs, and itself the SDK's ``ReadableSpan`` that ``end`` hands to
    the span processors (frozen from then on: later writes are ignored, as the SDK ignores them)."""

    # ReadableSpan's fields that start the same on every span (an event or an end sets the span's own)
    _events: Sequence[Event] = ()
    _links = ()
    _status = _UNSET
    _instrumentation_info = None
    _end_time: int | None = None

    def __init__(self, recorder: SpanRecorder, name: str, context: SpanContext, parent: SpanContext | None, *,
                 kind: SpanKind, attributes: dict[str, Any], lineage: Lineage) -> None:
        # ReadableSpan's fields, set here rather than through its __init__ (which would build a resource)
        self._processor = recorder.processor
        self._name = name
        self._context = self._span_context = context
        self._lineage = lineage
        self._parent = parent
        self._kind = kind
        # the caller's dict may be shared (or written to later): a copy, written to below as ``_values``
        self._attributes = self._values = dict(attributes)
        self._resource = recorder.resource
        self._instrumentation_scope = recorder.scope
        self._start_time = time.time_ns()

    def get_span_context(self) -> SpanContext:
        return self._span_context

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        if self._end_time is None:
            for key, value in attributes.items():
                if value is not None:
                    self._values[key] = value

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        if value is not None and self._end_time is None:
            self._values[key] = value

    def add_event(self, name: str, attributes: Attributes = None, timestamp: int | None = None) -> None:
        if self._end_time is None:  # rare (a guardrail decision, an exception): a new tuple each time
            self._events = (*self._events, Event(name, attributes, timestamp or time.time_ns()))

    def add_link(self, context: SpanContext, attributes: Attributes = None) -> None:
        return None  # Tollway's spans carry no links

    def update_name(self, name: str) -> None:
        if self._end_time is None:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._end_time is None and self._status.status_code is not StatusCode.OK:  # OK is final, as in the SDK
            self._status = status if isinstance(status, Status) else Status(status, description)

    def record_exception(self, exception: BaseException, attributes: Attributes = None,
                         timestamp: int | None = None, escaped: bool = False) -> None:
        recorded: dict[str, Any] = {
            "exception.type": type(exception).__qualname__, "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)), "exception.escaped": str(escaped)}
        if attributes:
            recorded.update(attributes)
        self.add_event("exception", recorded, timestamp)

    def wire_fields(self) -> tuple[SpanContext, SpanContext | None, str, SpanKind, int | None, int | None,
                                   Mapping[str, Any] | None, Sequence[Event], Status]:
        """What an encoder reads, in one call: context, parent, name, kind, start and end times, attributes,
        events, status (``otlp_wire``; the ``ReadableSpan`` properties give the same, one call each)."""
        return (self._span_context, self._parent, self._name, self._kind, self._start_time, self._end_time,
                self._values, self._events, self._status)

    def end(self, end_time: int | None = None) -> None:
        if self._end_time is None:
            self._end_time = end_time or time.time_ns()
            self._processor.on_end(self)


__all__ = ["RecordedSpan", "SpanRecorder"]
