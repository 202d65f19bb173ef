"""OpenTelemetry traces with the GenAI semantic conventions, off unless the config asks for them.

Enabled by ``litellm_settings.callbacks: ["otel"]`` (also ``success_callback``, or
``general_settings.otel: true``), exported over OTLP HTTP/protobuf to
``OTEL_EXPORTER_OTLP_ENDPOINT`` (``/v1/traces`` appended; ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
and ``OTEL_EXPORTER_OTLP_HEADERS`` as the SDK reads them). ``langfuse`` in a callback list adds a
second exporter to Langfuse's OTLP endpoint (``observability.langfuse``). The OpenTelemetry
packages (the ``[otel]`` extra) are imported only when tracing is on: when it is off every hook
below is one ``None`` check.

The tree of one request::

    POST /v1/chat/completions      SERVER  (TracingMiddleware; incoming ``traceparent`` continued)
    ├── tollway.auth                       (``authenticated``: the caller's kind)
    ├── tollway.guardrails                 (``guarded``: input checks; output checks of a whole answer)
    ├── tollway.reserve                    (``reserved``: budgets and limits)
    ├── chat gpt-4o-mini           CLIENT  (``attempt``: one per upstream try; retries and
    ├── chat gpt-4o-mini           CLIENT   fallbacks are siblings; ``traceparent`` sent upstream)
    └── tollway.settle                     (``traced_charge``: the charge settled or released)

Attributes: ``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
``gen_ai.response.model``, ``gen_ai.usage.input_tokens``/``output_tokens``,
``gen_ai.response.finish_reasons``, ``tollway.cost_usd``, ``tollway.team_id``,
``tollway.key_alias``, ``tollway.user_id``. Never a key (raw or hashed), never message content.
Guardrail violations become span events (``guardrail_event``).
Spans leave through a ``BatchSpanProcessor``: a background thread exports them, so a slow or
down collector never delays a response. On Lambda a frozen environment runs no thread, so there,
when the OTLP endpoint is on loopback (the ADOT collector of ``-c tracing=otel``), each request's
spans are exported to it as the request ends, before its invocation does: a loopback call bounded by
the exporter's timeout, never a network round trip (``flushes_each_request``; ``TOLLWAY_TRACE_FLUSH``
``request`` or ``batch`` decides otherwise). Langfuse's spans always go with its batch thread.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any, TypeVar

from tollway.errors import TollwayError
from tollway.observability.span_attributes import provider_name, request_attributes, response_attributes

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import httpx
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.trace import Span
    from starlette.types import ASGIApp, Receive, Scope, Send

    from tollway.auth.context import AuthContext
    from tollway.config.models import Config, Deployment
    from tollway.guardrails.base import Guardrail
    from tollway.metering.meter import Charge
    from tollway.types.chat import Usage

T = TypeVar("T")

_RELEASED = {"tollway.status": "released"}
#: path suffix -> ``gen_ai.operation.name``
OPERATIONS = (("/chat/completions", "chat"), ("/messages", "chat"), ("/responses", "chat"),
              ("/completions", "text_completion"), ("/embeddings", "embeddings"))

_state: _Tracing | None = None
#: facts the spans below the server span report up to it (response model, finish reasons)
_facts: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("tollway_trace_facts", default=None)


def enabled() -> bool:
    return _state is not None


def configure(config: Config) -> None:
    """Turn tracing on or off for this process from ``config`` (called when a gateway is built)."""
    global _state
    from tollway.config.unhonoured import callback_names

    names = callback_names(config)
    otel = bool(names & {"otel", "opentelemetry"}) or bool((config.general_settings.model_extra or {}).get("otel"))
    langfuse = "langfuse" in names
    previous, _state = _state, None
    if previous is not None:  # its last spans go out in the background: a new gateway never waits for them
        import threading

        threading.Thread(target=previous.provider.shutdown, name="otel-shutdown", daemon=True).start()
    if otel or langfuse:
        _state = _Tracing(otel=otel, langfuse=langfuse)


def flushes_each_request() -> bool:
    """Whether each request's OTLP spans are exported as the request ends: on Lambda when the endpoint is on
    loopback (a local collector), unless ``TOLLWAY_TRACE_FLUSH`` says ``batch`` (or ``request``: always)."""
    import os
    from urllib.parse import urlsplit

    mode = os.environ.get("TOLLWAY_TRACE_FLUSH", "auto").strip().lower()
    if mode in ("request", "batch"):
        return mode == "request"
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return False
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") \
        or "http://localhost:4318"
    return urlsplit(endpoint).hostname in ("127.0.0.1", "localhost", "::1")


def force_flush(timeout_millis: int = 5000) -> bool:
    """Export every finished span now (tests; the end of a Lambda invocation). True when all went out."""
    return True if _state is None else bool(_state.provider.force_flush(timeout_millis))


class _Tracing:
    def __init__(self, *, otel: bool, langfuse: bool) -> None:
        import os

        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace import SpanKind, Status, StatusCode
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        from tollway import __version__
        from tollway.observability.spans import SpanRecorder

        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "tollway"),
                                    "service.version": __version__})
        self.provider = TracerProvider(resource=resource)
        #: the OTLP exporter's processor, flushed at the end of each request when ``flush_each``
        self.otlp: BatchSpanProcessor | None = None
        if otel:
            from tollway.observability.otlp_wire import SpanExporter

            self.otlp = BatchSpanProcessor(SpanExporter())
            self.provider.add_span_processor(self.otlp)
        if langfuse:
            from tollway.observability.langfuse import LangfuseConfigError, exporter

            try:
                self.provider.add_span_processor(BatchSpanProcessor(exporter()))
            except LangfuseConfigError as exc:
                from tollway.observability.logging import logger

                logger.warning(f"langfuse tracing is off: {exc}")
        self.tracer = self.provider.get_tracer("tollway")
        self.spans = SpanRecorder(self.provider, "tollway")
        self.propagator: TextMapPropagator = TraceContextTextMapPropagator()
        # what the hooks below use on every request, looked up once
        self.server, self.client, self.status = SpanKind.SERVER, SpanKind.CLIENT, Status
        self.error = StatusCode.ERROR
        self.flush_each = self.otlp is not None and flushes_each_request()
        #: (deployment id, model, model group, operation) -> the CLIENT span's name and fixed attributes
        self.attempts: dict[tuple[str, str, str, str], tuple[str, dict[str, Any]]] = {}
        #: (method, path) -> ``request_kind``
        self.requests: dict[tuple[str, str], tuple[str | None, dict[str, Any]]] = {}

    def request_kind(self, method: str, path: str) -> tuple[str | None, dict[str, Any]]:
        """A request's ``gen_ai.operation.name`` (None when it is not a model call) and its server span's first
        attributes, by method and path (kept: a span copies its attributes, so one dict serves every request)."""
        operation = next((op for suffix, op in OPERATIONS if path.endswith(suffix)), None)
        attributes: dict[str, Any] = {"http.request.method": method, "url.path": path}
        if operation:
            attributes["gen_ai.operation.name"] = operation
        if len(self.requests) >= 1024:  # bounded: paths may carry ids (``/v1/models/{id}``, ``/key/...``)
            self.requests.clear()
        self.requests[method, path] = (operation, attributes)
        return operation, attributes

    def child(self, name: str, attributes: dict[str, Any] | None = None) -> Span:
        """A span under the current one that is not made current itself (nothing runs beneath it)."""
        return self.spans.child(name, attributes=attributes)


def _failed(span: Span, exc: Exception) -> None:
    """What ``start_as_current_span`` records when its block raises: the exception, an ERROR status."""
    from opentelemetry.trace import Status, StatusCode

    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


# ---------------------------------------------------------------------------------------------- hooks


class TracingMiddleware:
    """Pure ASGI: one SERVER span per HTTP request, continuing an incoming W3C ``traceparent``.

    Sits inside ``RequestContextMiddleware`` so the request's ``RequestContext`` (model, usage,
    cost, caller) is read when the response, streamed or not, has been sent.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = _state  # the gateway that sets it is built by then (``RequestContextMiddleware``, outside)
        if state is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))  # in one call; W3C trace context is one header of each name
        traceparent = headers.get(b"traceparent")
        parent = None
        if traceparent is not None:
            carrier = {"traceparent": traceparent.decode("latin-1")}
            tracestate = headers.get(b"tracestate")
            if tracestate is not None:
                carrier["tracestate"] = tracestate.decode("latin-1")
            parent = state.propagator.extract(carrier)
        path, method = scope["path"], scope["method"]
        operation, attributes = state.requests.get((method, path)) or state.request_kind(method, path)
        span = state.spans.root(method, state.server, attributes, parent)
        token = state.spans.enter(span, parent)
        facts_token = _facts.set({"operation": operation})
        try:
            await self.app(scope, receive, send)
        finally:
            if span.is_recording():  # sampled: what the request came to (an unsampled one records nothing)
                self._describe(state, span, scope, method)
            span.end()
            _facts.reset(facts_token)
            state.spans.exit(token)
            if state.flush_each and state.otlp is not None:  # after the last byte was handed on
                state.otlp.force_flush()

    @staticmethod
    def _describe(state: _Tracing, span: Span, scope: Scope, method: str) -> None:
        """The server span's name, attributes and status once the request is answered."""
        route = getattr(scope.get("route"), "path", None)
        ctx = scope.get("state", {}).get("tollway_ctx")
        # the status the response started with (``RequestContextMiddleware``, outside, records it); none
        # yet: the app failed, and the 500 is sent outside this middleware
        status = (ctx.status if ctx is not None else None) or 500
        attributes = request_attributes(ctx, _facts.get() or {})
        attributes["http.response.status_code"] = status
        if route:
            span.update_name(f"{method} {route}")
            attributes["http.route"] = route
        span.set_attributes(attributes)
        if status >= 500:
            span.set_status(state.status(state.error))


async def attempt(deployment: Deployment, call: Callable[[Deployment], Awaitable[T]]) -> T:
    """``call(deployment)`` inside a CLIENT span (the router's one upstream try)."""
    state = _state
    if state is None:
        return await call(deployment)
    facts = _facts.get() or {}
    operation = str(facts.get("operation") or "chat")
    key = (deployment.id, deployment.litellm_params.model, deployment.model_name, operation)
    fixed = state.attempts.get(key)
    if fixed is None:
        if len(state.attempts) >= 1024:  # bounded: wildcard deployments are made per request
            state.attempts.clear()
        model = deployment.upstream_model
        fixed = state.attempts[key] = (f"{operation} {model}", {
            "gen_ai.operation.name": operation, "gen_ai.request.model": model,
            "gen_ai.provider.name": provider_name(deployment.provider), "tollway.deployment_id": deployment.id,
            "tollway.model_group": deployment.model_name})
    span = state.spans.child(fixed[0], state.client, fixed[1])
    token = state.spans.enter(span)  # current: the upstream call carries its traceparent
    try:
        result = await call(deployment)
    except TollwayError as exc:
        span.set_status(state.status(state.error, exc.error_type))
        span.set_attribute("error.type", exc.error_type)
        upstream_status = getattr(exc, "upstream_status", None)
        if upstream_status:
            span.set_attribute("http.response.status_code", int(upstream_status))
        raise
    else:
        if not span.is_recording():  # an unsampled request: nobody reads what the answer said
            return result
        if isinstance(result, tuple):  # a stream: (first item, rest, ...): the first part that tells
            found = next((a for a in map(response_attributes, result) if a), {})
        else:
            found = response_attributes(result)
        span.set_attributes(found)
        facts.update(found)
        return result
    finally:
        span.end()
        state.spans.exit(token)


async def authenticated(pending: Awaitable[AuthContext]) -> AuthContext:
    """Await the caller's authentication inside a ``tollway.auth`` span (its kind on it, never a key)."""
    state = _state
    if state is None:
        return await pending
    return await _spanned(state, "tollway.auth", pending, lambda auth: {"tollway.auth.kind": auth.kind})


async def guarded(stage: str, guards: Sequence[Guardrail], pending: Awaitable[None]) -> None:
    """Await one stage's guardrail checks (``input`` before the upstream call, ``output`` on a whole answer)
    inside a ``tollway.guardrails`` span: the guardrails run, and the one that blocked with its category.
    Violations are also events on the request's span (``guardrail_event``)."""
    state = _state
    if state is None:
        await pending
        return
    span = state.child("tollway.guardrails", {"tollway.guardrail.stage": stage,
                                              "tollway.guardrail.names": tuple([g.name for g in guards])})
    try:
        await pending
    except Exception as exc:
        blocked = getattr(exc, "guardrail", None)
        if blocked is not None:  # a block is the guardrail's answer, not a failure of the check
            span.set_attributes({"tollway.guardrail.blocked": str(blocked),
                                 "tollway.guardrail.category": str(getattr(exc, "category", ""))})
            span.set_status(state.status(state.error, "blocked"))
        else:
            _failed(span, exc)
        raise
    finally:
        span.end()


async def reserved(pending: Awaitable[Charge]) -> Charge:
    """Await the meter's reservation inside a ``tollway.reserve`` span; the charge comes back traced."""
    state = _state
    if state is None:
        return await pending
    charge = await _spanned(state, "tollway.reserve", pending)
    _trace_settlement(charge, state)
    return charge


async def _spanned(state: _Tracing, name: str, pending: Awaitable[T],
                   describe: Callable[[T], dict[str, Any]] | None = None,
                   attributes: dict[str, Any] | None = None) -> T:
    """``pending`` awaited inside a child span ``name`` (with ``attributes``, and ``describe(result)`` added
    on success); an exception is recorded on it as the SDK records one, and re-raised."""
    span = state.child(name, attributes)
    try:
        result = await pending
    except Exception as exc:
        _failed(span, exc)
        raise
    else:
        if describe is not None:
            span.set_attributes(describe(result))
        return result
    finally:
        span.end()


async def inject_traceparent(request: httpx.Request) -> None:
    """httpx request hook: the current span's ``traceparent`` (and ``tracestate``) on every upstream call."""
    state = _state
    if state is None:
        return
    current = state.spans.current()
    if current is not None:  # Tollway's attempt span: the W3C header written directly
        request.headers["traceparent"], trace_state = current.traceparent()
        if trace_state:
            request.headers["tracestate"] = trace_state.to_header()
        return
    carrier: dict[str, str] = {}
    state.propagator.inject(carrier)
    for name, value in carrier.items():
        request.headers[name] = value


def guardrail_event(guardrail: str, *, action: str, **attributes: str | int | float | bool) -> None:
    """Record a guardrail violation as an event on the current span (``tollway.guardrail.violation``).

    For guardrails to call where they block, mask or flag; attributes must not carry content.
    """
    state = _state
    if state is None:
        return
    from opentelemetry import trace

    trace.get_current_span().add_event("tollway.guardrail.violation", attributes={
        "tollway.guardrail.name": guardrail, "tollway.guardrail.action": action,
        **{f"tollway.guardrail.{k}": v for k, v in attributes.items()}})


def _trace_settlement(charge: Charge, state: _Tracing) -> None:
    """Make ``charge.settle``/``release`` run in a ``tollway.settle`` span (on this charge only: it stays the
    meter's object, so nothing else pays a delegation on every attribute read)."""
    settle, release = charge.settle, charge.release

    async def traced_settle(usage: Usage | None, *, deployment: Deployment | None, status: str = "success",
                            error_type: str | None = None) -> None:
        await _spanned(state, "tollway.settle", settle(usage, deployment=deployment, status=status,
                                                       error_type=error_type),
                       lambda _: {} if charge.cost is None else {"tollway.cost_usd": float(charge.cost)},
                       {"tollway.status": status})

    async def traced_release(*, error_type: str | None = None) -> None:
        await _spanned(state, "tollway.settle", release(error_type=error_type), attributes=_RELEASED)

    charge.settle = traced_settle  # type: ignore[method-assign]
    charge.release = traced_release  # type: ignore[method-assign]
