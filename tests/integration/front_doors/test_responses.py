"""``POST /v1/responses`` in front of non-OpenAI providers (translated), through the official openai SDK
against loopback fakes of Anthropic and Gemini and the built-in mock."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import FakeAnthropic, Scripted
from tests.fakes.gemini_upstream import FakeGoogle
from tests.support.servers import serve_app

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


@pytest.fixture(scope="module")
def _anthropic(_anthropic_server: tuple[FakeAnthropic, str]) -> tuple[FakeAnthropic, str]:
    return _anthropic_server


@pytest.fixture(scope="module")
def _google() -> Iterator[tuple[FakeGoogle, str]]:
    fake = FakeGoogle()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def anthropic_fake(_anthropic: tuple[FakeAnthropic, str]) -> Iterator[FakeAnthropic]:
    fake, _ = _anthropic
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway, _anthropic, _google) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    gateway = start_gateway({
        "model_list": [
            {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5",
                                                        "api_base": _anthropic[1], "api_key": "sk-ant-up"}},
            {"model_name": "gemini", "litellm_params": {"model": "gemini/gemini-2.5-flash",
                                                        "api_base": _google[1], "api_key": "g-key"}},
            {"model_name": "flaky", "litellm_params": {"model": "anthropic/claude-flaky", "api_base": _anthropic[1],
                                                       "api_key": "sk-ant-up"}},
            {"model_name": "mock", "litellm_params": {"model": "mock/gpt-4o-mini"}},
        ],
        "router_settings": {"fallbacks": [{"flaky": ["gemini"]}], "num_retries": 0},
    })
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_text_on_anthropic_with_usage_and_instructions(client, anthropic_fake) -> None:  # type: ignore[no-untyped-def]
    response = client.responses.create(model="claude", input="hi there", instructions="be brief",
                                       max_output_tokens=64, store=False)
    assert response.status == "completed" and response.output_text == "echo: hi there"
    assert response.usage.input_tokens == 11 and response.usage.output_tokens == 5
    sent = anthropic_fake.requests[0]
    assert sent["system"] == [{"type": "text", "text": "be brief"}] and sent["max_tokens"] == 64
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi there"}]}]


def test_stream_parses_every_event_with_the_sdk_helper(client) -> None:  # type: ignore[no-untyped-def]
    with client.responses.stream(model="claude", input="one two three", store=False) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert kinds.count("response.output_text.delta") >= 3
    assert final.output_text == "echo: one two three" and final.usage.output_tokens == 5


def test_function_tool_round_trip_without_store(client, anthropic_fake) -> None:  # type: ignore[no-untyped-def]
    first = client.responses.create(model="claude", input="weather in Paris?", tools=[WEATHER],
                                    tool_choice={"type": "function", "name": "get_weather"}, store=False)
    call = next(item for item in first.output if item.type == "function_call")
    assert call.name == "get_weather" and json.loads(call.arguments)
    history = [{"role": "user", "content": "weather in Paris?"}, call.model_dump(exclude_none=True),
               {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}]
    second = client.responses.create(model="claude", input=history, tools=[WEATHER], store=False)
    assert second.output_text == "echo: sunny"
    sent = anthropic_fake.requests[-1]["messages"]
    assert sent[1]["content"][0]["type"] == "tool_use" and sent[1]["content"][0]["id"] == call.call_id
    assert sent[2]["content"][0] == {"type": "tool_result", "tool_use_id": call.call_id, "content": "sunny"}


def test_image_input_reaches_the_upstream(client, anthropic_fake) -> None:  # type: ignore[no-untyped-def]
    client.responses.create(model="claude", store=False, input=[{"role": "user", "content": [
        {"type": "input_text", "text": "what is this"}, {"type": "input_image", "image_url": PNG}]}])
    blocks = anthropic_fake.requests[0]["messages"][0]["content"]
    assert [b["type"] for b in blocks] == ["text", "image"] and blocks[1]["source"]["type"] == "base64"


def test_gemini_text_and_stream(client) -> None:  # type: ignore[no-untyped-def]
    response = client.responses.create(model="gemini", input="hello gemini", store=False)
    assert response.status == "completed" and "hello gemini" in response.output_text
    with client.responses.stream(model="gemini", input="stream please", store=False) as stream:
        final = stream.get_final_response()
    assert "stream please" in final.output_text and final.usage.total_tokens > 0


def test_fallback_before_the_first_byte(client, anthropic_fake) -> None:  # type: ignore[no-untyped-def]
    anthropic_fake.queue.append(Scripted(status=529, body={"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}))
    with client.responses.stream(model="flaky", input="fall over", store=False) as stream:
        final = stream.get_final_response()
    assert final.status == "completed" and "fall over" in final.output_text


def test_mid_stream_failure_is_response_failed(client, anthropic_fake) -> None:  # type: ignore[no-untyped-def]
    anthropic_fake.queue.append(Scripted(stream_error_after=4))
    with client.responses.stream(model="claude", input="a b c d e f", store=False) as stream:
        events = list(stream)
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created" and "response.output_text.delta" in kinds
    assert kinds[-1] == "response.failed" and "response.completed" not in kinds
    failed = events[-1].response
    assert failed.status == "failed" and failed.error.code == "server_error" and failed.error.message


def test_errors_are_openai_shaped(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="claude", input="x", tools=[{"type": "web_search"}], store=False)
    assert err.value.body["param"] == "tools[0].type"
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="nope", input="x", store=False)
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="claude", input="x", background=True, store=False)
    assert err.value.body["param"] == "background"


# ----------------------------------------------------------------------------- passthrough (OpenAI's own)


@pytest.fixture
def gpt(start_gateway, openai_upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4.1", "api_base": openai_upstream.base_url,
                                                 "api_key": "sk-openai-upstream-secret"}}]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_passthrough_sends_the_body_as_is_and_returns_the_upstreams(gpt, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.openai_upstream import response_object

    body = {"model": "gpt", "input": [{"role": "user", "content": "hi"}], "store": False,
            "text": {"verbosity": "low"}, "service_tier": "flex", "a_future_field": {"x": [1, 2]},
            "tools": [{"type": "web_search"}], "include": ["reasoning.encrypted_content"]}
    raw = gpt.post("/responses", body=body, cast_to=httpx.Response)
    assert openai_upstream.requests == [{**body, "model": "gpt-4.1"}]
    assert openai_upstream.headers[0]["authorization"] == "Bearer sk-openai-upstream-secret"
    answer = json.loads(raw.content)
    assert answer == {**response_object({**body, "model": "gpt-4.1"}), "id": answer["id"]}
    assert float(raw.headers["x-tollway-response-cost"]) > 0


def test_passthrough_stream_relays_every_event(gpt, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.openai_upstream import response_events, response_object

    with gpt.responses.stream(model="gpt", input="one two three", store=False) as stream:
        events = list(stream)
        final = stream.get_final_response()
    sent = {"model": "gpt-4.1", "input": "one two three", "store": False, "stream": True}
    assert openai_upstream.requests[0] == sent
    expected = [json.loads(e.split("data: ", 1)[1]) for e in response_events(response_object(sent))]
    assert [e.type for e in events] == [e["type"] for e in expected]
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == [e["delta"] for e in expected if e["type"] == "response.output_text.delta"]
    assert final.output_text == "echo: one two three" and final.usage.cost > 0  # type: ignore[attr-defined]


def test_passthrough_failures(gpt, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    openai_upstream.queue.append(Scripted(stream_error_after=5))
    with gpt.responses.stream(model="gpt", input="a b c", store=False) as stream:
        kinds = [event.type for event in stream]
    assert "response.output_text.delta" in kinds and kinds[-1] == "response.failed"
    openai_upstream.queue.append(Scripted(status=400, body={"error": {
        "message": "bad thing", "type": "invalid_request_error", "param": "input", "code": None}}))
    with pytest.raises(openai.BadRequestError) as err:
        gpt.responses.create(model="gpt", input="x", store=False)
    assert "bad thing" in err.value.message
