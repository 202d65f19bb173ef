"""OpenTelemetry over OTLP/HTTP to a loopback receiver: the span tree of a chat with a retry and a fallback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import FakeOpenAI, Scripted
from tests.integration.identity.conftest import Admin
from tests.integration.observability.conftest import OtlpReceiver, attributes

UPSTREAM_KEY = "sk-upstream-secret-0123456789"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def config(base_url: str, **settings: Any) -> dict[str, Any]:
    params = {"api_base": base_url, "api_key": UPSTREAM_KEY, "input_cost_per_token": 0.000001,
              "output_cost_per_token": 0.000002}
    return {
        "model_list": [
            {"model_name": "primary", "litellm_params": {"model": "openai/gpt-4o-mini", **params}},
            {"model_name": "backup", "litellm_params": {"model": "openai/gpt-4o", **params}},
        ],
        "router_settings": {"num_retries": 1, "retry_backoff_base": 0, "fallbacks": [{"primary": ["backup"]}]},
        **settings,
    }


@pytest.fixture(autouse=True)
def _tracing_off_afterwards() -> Iterator[None]:
    yield
    from tollway.config.models import Config
    from tollway.observability import tracing

    tracing.configure(Config())


def test_span_tree_of_a_chat_with_a_retry_and_a_fallback(
        start_gateway: Callable[..., Any], table_prefix: str, openai_upstream: FakeOpenAI,
        otlp_receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from tollway.observability import tracing

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.url)
    gateway = start_gateway(config(openai_upstream.base_url, litellm_settings={"callbacks": ["otel"]}))
    assert tracing.enabled()
    admin = Admin(gateway.url)
    team = admin.post("/team/new", {"team_id": f"team-{uuid.uuid4().hex[:6]}"})["team_id"]
    made = admin.post("/key/generate", {"team_id": team, "key_alias": "checkout-app"})
    openai_upstream.queue = [Scripted(status=500, body={"error": {"message": "boom"}})] * 2
    client = openai.OpenAI(base_url=gateway.base_url, api_key=made["key"], max_retries=0)
    raw_answer = client.chat.completions.with_raw_response.create(
        model="primary", messages=[{"role": "user", "content": "secret prompt text"}],
        extra_headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    answer = raw_answer.parse()
    assert answer.usage is not None
    otlp_receiver.flush_until_served()

    spans = [s for s in otlp_receiver.spans("/v1/traces") if s.trace_id.hex() == TRACE_ID]
    [server] = [s for s in spans if s.parent_span_id.hex() == PARENT_ID]
    children = [s for s in spans if s.parent_span_id == server.span_id]
    assert sorted(s.name for s in children) == sorted(
        ["tollway.auth", "tollway.reserve", "chat gpt-4o-mini", "chat gpt-4o-mini", "chat gpt-4o", "tollway.settle"])
    assert len(spans) == 1 + len(children)  # nothing hangs elsewhere

    server_attrs = attributes(server)
    assert server.name == "POST /v1/chat/completions" and server.kind == server.SPAN_KIND_SERVER
    assert server_attrs["gen_ai.operation.name"] == "chat"
    assert server_attrs["gen_ai.request.model"] == "primary"
    assert server_attrs["gen_ai.response.model"] == "gpt-4o"
    assert server_attrs["gen_ai.provider.name"] == "openai"
    assert server_attrs["gen_ai.usage.input_tokens"] == answer.usage.prompt_tokens
    assert server_attrs["gen_ai.usage.output_tokens"] == answer.usage.completion_tokens
    assert server_attrs["tollway.cost_usd"] == pytest.approx(float(raw_answer.headers["x-tollway-response-cost"]))
    assert server_attrs["tollway.cost_usd"] > 0
    assert server_attrs["tollway.team_id"] == team
    assert server_attrs["tollway.key_alias"] == "checkout-app"
    assert server_attrs["http.response.status_code"] == 200
    [auth] = [s for s in children if s.name == "tollway.auth"]
    assert attributes(auth) == {"tollway.auth.kind": "virtual_key"}

    attempts = sorted((s for s in children if s.kind == s.SPAN_KIND_CLIENT), key=lambda s: s.start_time_unix_nano)
    assert [s.name for s in attempts] == ["chat gpt-4o-mini", "chat gpt-4o-mini", "chat gpt-4o"]
    assert [s.status.code for s in attempts] == [attempts[0].status.STATUS_CODE_ERROR] * 2 + [
        attempts[0].status.STATUS_CODE_UNSET]
    failed, ok = attributes(attempts[0]), attributes(attempts[2])
    assert failed["http.response.status_code"] == 500 and failed["gen_ai.request.model"] == "gpt-4o-mini"
    assert ok["gen_ai.provider.name"] == "openai" and ok["gen_ai.response.model"] == "gpt-4o"
    assert ok["gen_ai.response.finish_reasons"] == ["stop"]

    # traceparent went upstream on every attempt, each time naming that attempt's span as the parent
    sent = [h["traceparent"] for h in openai_upstream.headers]
    assert sent == [f"00-{TRACE_ID}-{s.span_id.hex()}-01" for s in attempts]

    raw = otlp_receiver.raw()
    for secret in (made["key"], made["token"], MASTER_KEY, UPSTREAM_KEY, "secret prompt text"):
        assert secret.encode() not in raw


def test_a_request_without_traceparent_starts_a_trace_and_streams_are_traced(
        start_gateway: Callable[..., Any], openai_upstream: FakeOpenAI, otlp_receiver: OtlpReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.url)
    gateway = start_gateway(config(openai_upstream.base_url, general_settings={"otel": True}))
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    chunks = list(client.chat.completions.create(model="backup", messages=[{"role": "user", "content": "hi"}],
                                                 stream=True, stream_options={"include_usage": True}))
    usage = chunks[-1].usage
    assert usage is not None
    [server] = otlp_receiver.flush_until_served()
    assert not server.parent_span_id
    names = sorted(s.name for s in otlp_receiver.spans() if s.parent_span_id == server.span_id)
    assert names == ["chat gpt-4o", "tollway.auth", "tollway.reserve", "tollway.settle"]
    attrs = attributes(server)
    assert attrs["gen_ai.usage.output_tokens"] == usage.completion_tokens
    assert "tollway.cost_usd" in attrs


def test_tracing_off_sends_nothing_and_no_traceparent(
        start_gateway: Callable[..., Any], openai_upstream: FakeOpenAI, otlp_receiver: OtlpReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tollway.observability import tracing

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.url)
    gateway = start_gateway(config(openai_upstream.base_url))
    assert not tracing.enabled()
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    client.chat.completions.create(model="backup", messages=[{"role": "user", "content": "hi"}],
                                   extra_headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    assert tracing.force_flush()
    assert otlp_receiver.exports == []
    assert "traceparent" not in openai_upstream.headers[-1]


def test_a_guardrail_block_is_an_event_on_the_server_span(
        start_gateway: Callable[..., Any], openai_upstream: FakeOpenAI, otlp_receiver: OtlpReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.url)
    guardrail = {"guardrail_name": "no-secrets", "litellm_params": {
        "guardrail": "keywords", "mode": "pre_call", "default_on": True, "keywords": ["classified"]}}
    gateway = start_gateway(config(openai_upstream.base_url, litellm_settings={"callbacks": ["otel"]},
                                   guardrails=[guardrail]))
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="backup", messages=[{"role": "user", "content": "classified plans"}])
    [server] = otlp_receiver.flush_until_served()
    [event] = [e for e in server.events if e.name == "tollway.guardrail.violation"]
    attrs = {kv.key: kv.value.string_value for kv in event.attributes}
    assert attrs["tollway.guardrail.name"] == "no-secrets" and attrs["tollway.guardrail.action"] == "block"
    [checks] = [s for s in otlp_receiver.spans() if s.name == "tollway.guardrails"]
    assert checks.parent_span_id == server.span_id and checks.status.code == checks.status.STATUS_CODE_ERROR
    assert attributes(checks) == {"tollway.guardrail.stage": "input", "tollway.guardrail.names": ["no-secrets"],
                                  "tollway.guardrail.blocked": "no-secrets", "tollway.guardrail.category": "keyword"}
    assert b"classified plans" not in otlp_receiver.raw()
    assert openai_upstream.requests == []
