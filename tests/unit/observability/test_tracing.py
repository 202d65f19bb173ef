"""Tracing hooks in isolation: on/off from the config, guardrail events, provider names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tollway.config.loader import parse_config
from tollway.config.models import Config
from tollway.observability import tracing


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
