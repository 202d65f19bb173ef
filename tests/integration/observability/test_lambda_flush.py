"""On Lambda a frozen environment runs no batch thread: with the OTLP endpoint on loopback (the ADOT
collector), each request's spans reach it before the handler returns, through the real Lambda handler
(Mangum, API Gateway REST events). ``TOLLWAY_TRACE_FLUSH=batch`` leaves them to the batch thread."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import MASTER_KEY
from tests.integration.observability.conftest import OtlpReceiver
from tests.integration.test_lambda_handler import rest_event

CONFIG = f"""
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {{model: mock/gpt-4o-mini}}
general_settings: {{master_key: {MASTER_KEY}}}
litellm_settings: {{callbacks: ["otel"]}}
"""


@pytest.fixture
def lambda_handler(tmp_path, monkeypatch: pytest.MonkeyPatch, otlp_receiver: OtlpReceiver) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from tollway.config.models import Config
    from tollway.observability import tracing

    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("TOLLWAY_CONFIG", str(config))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tollway-test")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.url)  # http://127.0.0.1:<port>
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")  # the batch thread would wait ten minutes
    monkeypatch.setattr("tollway.gateway._default", None)
    from tollway import handler as module

    module.app.state.gateway = None
    yield module.handler
    tracing.configure(Config())


def _chat(handler: Any) -> dict[str, Any]:
    event = rest_event("POST", "/v1/chat/completions",
                       {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]})
    response: dict[str, Any] = handler(event, None)
    assert response["statusCode"] == 200
    return response


def test_each_invocation_exports_its_spans_before_it_returns(lambda_handler: Any, otlp_receiver: OtlpReceiver) -> None:
    from tollway.observability import tracing

    _chat(lambda_handler)
    assert tracing.enabled()
    names = sorted(s.name for s in otlp_receiver.spans())  # no flush called: the handler has exported them
    assert names == ["POST /v1/chat/completions", "chat gpt-4o-mini", "tollway.auth", "tollway.reserve",
                     "tollway.settle"]
    _chat(lambda_handler)
    assert len(otlp_receiver.spans()) == 10 and len(otlp_receiver.exports) == 2


def test_batch_mode_leaves_the_spans_to_the_batch_thread(lambda_handler: Any, otlp_receiver: OtlpReceiver,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tollway.observability import tracing

    monkeypatch.setenv("TOLLWAY_TRACE_FLUSH", "batch")
    _chat(lambda_handler)
    assert otlp_receiver.exports == []
    assert tracing.force_flush() and len(otlp_receiver.spans()) == 5


def test_a_remote_endpoint_is_never_called_on_the_request_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from tollway.observability import tracing

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tollway-test")
    monkeypatch.delenv("TOLLWAY_TRACE_FLUSH", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example.com")
    assert not tracing.flushes_each_request()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://localhost:4318/v1/traces")
    assert tracing.flushes_each_request()
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    assert not tracing.flushes_each_request()  # tollway serve: the batch thread never freezes
    monkeypatch.setenv("TOLLWAY_TRACE_FLUSH", "request")
    assert tracing.flushes_each_request()
