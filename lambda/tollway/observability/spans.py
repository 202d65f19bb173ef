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
event count limits (Tollway's spans carry a fixed, small set), span processors' ``on_start``
(Tollway's processors, batch and simple, do nothing there), and a sampler's ``RECORD_ONLY``, taken
as ``DROP`` (such a span is never exported, and nothing of Tollway's reads one).
"""

from __future__ import annotations

import contextvars
import time
import traceback
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import TraceState
    from opentelemetry.util.types import Attributes, AttributeValue

#: what a child span copies from its parent: trace id, flags, trace state
Lineage = tuple[int, TraceFlags, "TraceState | None"]
#: the recorded span made current by ``SpanRecorder.enter`` (alongside the OpenTelemetry context, which stays
#: the reference: a span another tracer made current there is what ``child`` parents to when this is unset)
_current: contextvars.ContextVar[RecordedSpan | None] = contextvars.ContextVar("tollway_span", default=None)
_SAMPLED, _NOT_SAMPLED = TraceFlags(TraceFlags.SAMPLED), TraceFlags(TraceFlags.DEFAULT)
#: a span's status until one is set (the same object on every span, so an encoder can tell it by identity)
UNSET_STATUS = _UNSET = Status(StatusCode.UNSET)
#: the SDK's default sampler (``parentbased_always_on``), by its description
_DEFAULT_SAMPLER = ParentBased(ALWAYS_ON).get_description()  # type: ignore[no-untyped-call]


class SpanRecorder:
    """Makes ``RecordedSpan``s for one tracer provider (its resource, ids, sampler and processors)."""

    def __init__(self, provider: TracerProvider, scope: str) -> None:
        self.resource = provider.resource
        self.ids = provider.id_generator
        self.sampler = provider.sampler
        #: the SDK's default sampler (``parentbased_always_on``) decides as the incoming parent's flag says, and
        #: samples without one: decided here without its calls (any other sampler is asked)
        self.default_sampling = (type(self.sampler) is ParentBased
                                 and self.sampler.get_description() == _DEFAULT_SAMPLER)  # type: ignore[no-untyped-call]
        #: the provider's processors as one (the SDK keeps no public handle on it)
        self.processor = provider._active_span_processor
        self.scope = InstrumentationScope(scope)
        self._emits: tuple[Callable[[ReadableSpan], None], ...] = ()
        self._emits_for: object = self  # never a processor tuple: the first ``emits`` builds them

    def emits(self) -> tuple[Callable[[ReadableSpan], None], ...]:
        """What hands a finished span to each of the provider's processors (processors added later included).

        A ``BatchSpanProcessor`` takes it straight into its queue: its ``on_end`` only checks the span is
        sampled first, and a recorded span always is (an unsampled one is never recorded).
        """
        processors = getattr(self.processor, "_span_processors", None)
        if processors is not self._emits_for:
            if processors is None:  # not the SDK's multi-processor: its own ``on_end``
                self._emits = (self.processor.on_end,)
            else:
                self._emits = tuple(_queue_of(p) or p.on_end for p in processors)
            self._emits_for = processors
        return self._emits

    def root(self, name: str, kind: SpanKind, attributes: dict[str, Any], parent: Context | None) -> trace.Span:
        """The request's span in this process, under ``parent`` (an extracted remote context) when given."""
        remote = trace.get_current_span(parent).get_span_context() if parent is not None else None
        if remote is not None and not remote.is_valid:
            remote = None
        trace_id = remote.trace_id if remote is not None else self.ids.generate_trace_id()
        if self.default_sampling:  # as ``ParentBased(ALWAYS_ON)`` decides, with the parent's trace state
            sampled = remote is None or remote.trace_flags.sampled
            trace_state = remote.trace_state if remote is not None else None
        else:  # RECORD_ONLY as DROP: a span that is not exported is read by nothing of Tollway's
            decision = self.sampler.should_sample(parent, trace_id, name, kind, attributes)
            sampled, trace_state = decision.decision is Decision.RECORD_AND_SAMPLE, decision.trace_state
            if sampled and decision.attributes:
                attributes = {**attributes, **decision.attributes}
        if not sampled:
            return NonRecordingSpan(SpanContext(trace_id, self.ids.generate_span_id(), False, _NOT_SAMPLED,
                                                trace_state))
        return RecordedSpan(self, name, self.ids.generate_span_id(), remote.span_id if remote is not None else None,
                            kind=kind, attributes=attributes, lineage=(trace_id, _SAMPLED, trace_state), parent=remote)

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
        if type(current) is RecordedSpan:  # the usual case: its ids read directly, no SpanContext made
            return RecordedSpan(self, name, self.ids.generate_span_id(), current._span_id, kind=kind,
                                attributes=attributes or {}, lineage=current._lineage)
        parent = current.get_span_context()
        if not parent.is_valid:  # no request span: a trace of its own
            return self.root(name, kind, attributes or {}, None)
        flags = parent.trace_flags
        if not flags.sampled:
            return NonRecordingSpan(SpanContext(parent.trace_id, self.ids.generate_span_id(), False, flags,
                                                parent.trace_state))
        return RecordedSpan(self, name, self.ids.generate_span_id(), parent.span_id, kind=kind,
                            attributes=attributes or {}, lineage=(parent.trace_id, flags, parent.trace_state),
                            parent=parent)


def _queue_of(processor: object) -> Callable[[ReadableSpan], None] | None:
    """A ``BatchSpanProcessor``'s queue's ``emit`` (None for another processor, or another SDK's layout)."""
    if type(processor) is not BatchSpanProcessor:
        return None
    return getattr(getattr(processor, "_batch_processor", None), "emit", None)


class RecordedSpan(ReadableSpan, trace.Span):
    """One span: the API's ``Span`` while it runs, and itself the SDK's ``ReadableSpan`` that ``end`` hands to
    the span processors (frozen from then on: later writes are ignored, as the SDK ignores them).

    Its ids are kept as integers; the ``SpanContext`` of the span and of its parent are made only when asked
    for (an encoder reads the integers: ``wire_fields``).
    """

    # ReadableSpan's fields that start the same on every span (an event or an end sets the span's own)
    _events: Sequence[Event] = ()
    _links = ()
    _status = _UNSET
    _instrumentation_info = None
    _end_time: int | None = None
    _made_context: SpanContext | None = None

    def __init__(self, recorder: SpanRecorder, name: str, span_id: int, parent_id: int | None, *,
                 kind: SpanKind, attributes: Mapping[str, Any], lineage: Lineage,
                 parent: SpanContext | None = None) -> None:
        # ReadableSpan's fields, set here rather than through its __init__ (which would build a resource)
        #: what made it: its resource and scope are the recorder's (an encoder groups spans by it)
        self.recorder = recorder
        self._name = name
        self._span_id = span_id
        #: trace id, flags, trace state: the same on every span of the request
        self._lineage = lineage
        self._parent_id = parent_id
        self._parent_context = parent  # a remote or foreign parent's own; a recorded parent's is made on demand
        self._kind = kind
        # the caller's dict may be shared (or written to later): a copy, written to below as ``_values``
        self._attributes = self._values = dict(attributes)
        self._start_time = time.time_ns()

    @property
    def _resource(self) -> Resource:  # type: ignore[override]  # ReadableSpan's field: the recorder's
        return self.recorder.resource

    @property
    def _instrumentation_scope(self) -> InstrumentationScope:  # type: ignore[override]  # as ``_resource``
        return self.recorder.scope

    def get_span_context(self) -> SpanContext:
        made = self._made_context
        if made is None:
            trace_id, flags, trace_state = self._lineage
            made = self._made_context = SpanContext(trace_id, self._span_id, False, flags, trace_state)
        return made

    @property
    def _context(self) -> SpanContext:  # type: ignore[override]  # ReadableSpan's field, read by its ``context``, ``to_json`` ...
        return self.get_span_context()

    @property
    def _span_context(self) -> SpanContext:  # the SDK Span's name for it
        return self.get_span_context()

    @property
    def _parent(self) -> SpanContext | None:  # type: ignore[override]  # ReadableSpan's field, read by its ``parent``
        if self._parent_context is None and self._parent_id is not None:
            trace_id, flags, trace_state = self._lineage
            self._parent_context = SpanContext(trace_id, self._parent_id, False, flags, trace_state)
        return self._parent_context

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        if self._end_time is None:
            if None not in attributes.values():  # the usual case: all taken in one call
                self._values.update(attributes)
                return
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

    def wire_fields(self) -> tuple[int, int, TraceState | None, int | None, bool, str, SpanKind, int | None, int | None,
                                   Mapping[str, Any], Sequence[Event], Status]:
        """What an encoder reads, in one call: trace id, span id, trace state, parent span id, whether the parent
        is remote, name, kind, start and end times, attributes, events, status (``otlp_wire``; the
        ``ReadableSpan`` properties give the same, one call each)."""
        trace_id, _, trace_state = self._lineage
        parent = self._parent_context
        return (trace_id, self._span_id, trace_state, self._parent_id, parent is not None and parent.is_remote,
                self._name, self._kind, self._start_time, self._end_time, self._values, self._events, self._status)

    def traceparent(self) -> tuple[str, TraceState | None]:
        """The W3C ``traceparent`` header naming this span, and the trace state for ``tracestate``."""
        trace_id, flags, trace_state = self._lineage
        return f"00-{trace_id:032x}-{self._span_id:016x}-{flags:02x}", trace_state

    def end(self, end_time: int | None = None) -> None:
        if self._end_time is None:
            self._end_time = end_time or time.time_ns()
            recorder = self.recorder
            emits = recorder._emits  # the processors' as last built, unless the provider's list has changed since
            if getattr(recorder.processor, "_span_processors", None) is not recorder._emits_for:
                emits = recorder.emits()
            for emit in emits:
                emit(self)


__all__ = ["UNSET_STATUS", "RecordedSpan", "SpanRecorder"]
