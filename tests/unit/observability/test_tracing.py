"""Tracing hooks in isolation: on/off from the config, guardrail events, provider names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tollway.config.loader import parse_config
from tollway.config.models import Config
from tollway.observability import tracing

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@pytest.fixture(autouse=True)
def _off_afterwards() -> Iterator[None]:
    yield
    tracing.configure(Config())


@pytest.mark.parametrize(("settings", "on"), [
    ({}, False),
    ({"litellm_settings": {"callbacks": ["prometheus"]}}, False),
    ({"litellm_settings": {"callbacks": ["otel"]}}, True),
    ({"litellm_settings": {"success_callback": "opentelemetry"}}, True),
    ({"general_settings": {"otel": True}}, True),
    ({"general_settings": {"otel": False}}, False),
])
def test_the_config_turns_tracing_on_or_off(settings: dict[str, object], on: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    tracing.configure(parse_config(settings))
    assert tracing.enabled() is on


def test_a_guardrail_violation_is_an_event_on_the_current_span(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    tracing.configure(parse_config({"general_settings": {"otel": True}}))
    state = tracing._state
    assert state is not None
    memory = InMemorySpanExporter()
    state.provider.add_span_processor(SimpleSpanProcessor(memory))
    with state.tracer.start_as_current_span("request"):
        tracing.guardrail_event("pii-mask", action="masked", entities=2)
    [span] = memory.get_finished_spans()
    [event] = span.events
    assert event.name == "tollway.guardrail.violation"
    assert dict(event.attributes or {}) == {"tollway.guardrail.name": "pii-mask",
                                           "tollway.guardrail.action": "masked", "tollway.guardrail.entities": 2}


def test_guardrail_events_are_free_when_tracing_is_off() -> None:
    tracing.configure(Config())
    tracing.guardrail_event("pii-mask", action="blocked")  # no span, no SDK: nothing happens


def test_provider_names_follow_the_genai_conventions() -> None:
    assert tracing.provider_name("bedrock") == "aws.bedrock"
    assert tracing.provider_name("vertex_ai") == "gcp.vertex_ai"
    assert tracing.provider_name("azure") == "azure.ai.openai"
    assert tracing.provider_name("ollama") == "ollama"


def _traced(monkeypatch: pytest.MonkeyPatch) -> tuple[tracing._Tracing, InMemorySpanExporter]:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    tracing.configure(parse_config({"general_settings": {"otel": True}}))
    state = tracing._state
    assert state is not None
    memory = InMemorySpanExporter()
    state.provider.add_span_processor(SimpleSpanProcessor(memory))
    return state, memory


async def test_a_failed_reservation_is_an_error_span_under_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.trace import StatusCode

    from tollway.errors import BudgetExceededError

    state, memory = _traced(monkeypatch)

    async def refused() -> object:
        raise BudgetExceededError("team budget exceeded")

    with state.tracer.start_as_current_span("request") as request, pytest.raises(BudgetExceededError):
        await tracing.reserved(refused())  # type: ignore[arg-type]
    reserve, _ = memory.get_finished_spans()
    assert reserve.name == "tollway.reserve" and reserve.parent is not None
    assert reserve.parent.span_id == request.get_span_context().span_id
    assert reserve.status.status_code is StatusCode.ERROR
    assert [e.name for e in reserve.events] == ["exception"]


async def test_the_upstream_call_runs_inside_its_client_span(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry import trace

    from tollway.config.models import Deployment

    state, memory = _traced(monkeypatch)
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini"}})
    seen: list[int] = []

    async def call(chosen: Deployment) -> str:
        seen.append(trace.get_current_span().get_span_context().span_id)
        return "answer"

    with state.tracer.start_as_current_span("request") as request:
        assert await tracing.attempt(deployment, call) == "answer"
        assert trace.get_current_span() is request
    client, _ = memory.get_finished_spans()
    assert client.name == "chat gpt-4o-mini" and client.context is not None and client.parent is not None
    assert seen == [client.context.span_id]
    assert client.parent.span_id == request.get_span_context().span_id


async def test_an_unsampled_request_records_nothing_and_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the sampler off, the hooks still propagate context, but neither the server span's attributes nor
    the answer's are gathered: nobody would read them."""
    from opentelemetry import trace

    from tollway.config.models import Deployment

    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    _, memory = _traced(monkeypatch)

    def unread(*args: object) -> dict[str, object]:
        raise AssertionError("attributes gathered for an unsampled request")

    monkeypatch.setattr(tracing, "request_attributes", unread)
    monkeypatch.setattr(tracing, "response_attributes", unread)
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini"}})
    seen: list[trace.SpanContext] = []

    async def call(chosen: Deployment) -> str:
        seen.append(trace.get_current_span().get_span_context())
        return "answer"

    async def app(scope: object, receive: object, send: object) -> None:
        assert await tracing.attempt(deployment, call) == "answer"

    scope = {"type": "http", "path": "/v1/chat/completions", "method": "POST", "headers": [], "state": {}}
    await tracing.TracingMiddleware(app)(scope, None, None)  # type: ignore[arg-type]
    [context] = seen
    assert context.is_valid and not context.trace_flags.sampled
    assert memory.get_finished_spans() == ()
