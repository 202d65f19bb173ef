"""Langfuse through its OTLP endpoint: one trace per request with usage and cost; a slow or down
Langfuse never holds a request up."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.observability.conftest import OtlpReceiver, attributes

CONFIG = {"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m", "input_cost_per_token": 0.000001,
                                                                "output_cost_per_token": 0.000002}}],
          "litellm_settings": {"success_callback": ["langfuse"]}}
#: a generous ceiling proving a request does not wait for a held export (which is held far longer)
CEILING_SECONDS = 10.0


@pytest.fixture(autouse=True)
def _tracing_off_afterwards() -> Iterator[None]:
    yield
    from tollway.config.models import Config
    from tollway.observability import tracing

    tracing.configure(Config())


def _langfuse_env(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("LANGFUSE_HOST", host)
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-test")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-lf-test")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)


def test_one_trace_per_request_with_usage_and_cost(
        start_gateway: Callable[..., Any], otlp_receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from tollway.observability import tracing

    _langfuse_env(monkeypatch, otlp_receiver.url)
    gateway = start_gateway(CONFIG)
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    answers = [client.chat.completions.create(model="m", messages=[{"role": "user", "content": f"q{i}"}])
               for i in range(2)]
    assert tracing.force_flush()
    assert {e.path for e in otlp_receiver.exports} == {"/api/public/otel/v1/traces"}
    expected = "Basic " + base64.b64encode(b"pk-lf-test:sk-lf-test").decode()
    assert all(e.headers["authorization"] == expected for e in otlp_receiver.exports)
    servers = [s for s in otlp_receiver.spans() if s.kind == s.SPAN_KIND_SERVER]
    assert len({s.trace_id for s in servers}) == 2
    for span, answer in zip(sorted(servers, key=lambda s: s.start_time_unix_nano), answers, strict=True):
        attrs = attributes(span)
        assert answer.usage is not None
        assert attrs["gen_ai.usage.input_tokens"] == answer.usage.prompt_tokens
        assert attrs["gen_ai.usage.output_tokens"] == answer.usage.completion_tokens
        assert attrs["tollway.cost_usd"] == pytest.approx(
            answer.usage.prompt_tokens * 0.000001 + answer.usage.completion_tokens * 0.000002)
        assert attrs["gen_ai.request.model"] == "m"
    assert b"sk-lf-test" not in otlp_receiver.raw()


@pytest.mark.parametrize("langfuse", ["slow", "down"])
def test_a_slow_or_down_langfuse_never_holds_a_request(
        langfuse: str, start_gateway: Callable[..., Any], otlp_receiver: OtlpReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if langfuse == "slow":
        otlp_receiver.hold = threading.Event()  # every export blocks until the test ends
        host = otlp_receiver.url
    else:
        host = "http://127.0.0.1:9"  # discard port: nothing listens
    _langfuse_env(monkeypatch, host)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "1")  # export right away, while later requests run
    gateway = start_gateway(CONFIG)
    with httpx.Client(timeout=CEILING_SECONDS) as http:
        for i in range(5):
            response = http.post(f"{gateway.base_url}/chat/completions",
                                 headers={"Authorization": f"Bearer {MASTER_KEY}"},
                                 json={"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]})
            assert response.status_code == 200
            assert response.elapsed.total_seconds() < CEILING_SECONDS
