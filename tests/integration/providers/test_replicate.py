"""``replicate/...`` deployments through the running app and the official openai SDK, against a fake
Replicate predictions API (``Prefer: wait``, polling, SSE streaming) on a loopback socket."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.replicate_upstream import FakeReplicate, ReplicateScript
from tests.support.servers import serve_app
from tollway.tokens import estimate_text

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeReplicate, str]]:
    fake = FakeReplicate()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeReplicate, str]) -> Iterator[FakeReplicate]:
    fake, _ = _server
    fake.reset()
    yield fake
    fake.reset()


def _gateway(start_gateway, url: str, **settings):  # type: ignore[no-untyped-def]
    return start_gateway({
        "model_list": [
            {"model_name": "llama", "litellm_params": {"model": "replicate/meta/meta-llama-3-8b-instruct",
                                                       "api_base": url, "api_key": "r8_upstream_secret"}},
            {"model_name": "pinned", "litellm_params": {"model": f"replicate/acme/tuned-llama:{VERSION}",
                                                        "api_base": url, "api_key": "r8_upstream_secret"}},
            {"model_name": "deployed", "litellm_params": {"model": "replicate/deployments/acme/chat",
                                                          "api_base": url, "api_key": "r8_upstream_secret"}},
            {"model_name": "short", "litellm_params": {"model": "replicate/meta/meta-llama-3-8b-instruct",
                                                       "api_base": url, "api_key": "r8_upstream_secret",
                                                       "timeout": 1}},
        ],
        **settings,
    })


@pytest.fixture
def client(start_gateway, _server) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=_gateway(start_gateway, _server[1]).base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_waits_synchronously(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(
        model="llama", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0.2, top_p=0.9, seed=7, max_tokens=50, stop=["END", "STOP"],
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 5 and completion.usage.completion_tokens == 3
    assert completion.usage.total_tokens == 8
    assert upstream.paths == ["/v1/models/meta/meta-llama-3-8b-instruct/predictions"]
    assert upstream.requests[0] == {"input": {
        "prompt": "hi there", "system_prompt": "be brief", "max_tokens": 50, "temperature": 0.2, "top_p": 0.9,
        "seed": 7, "stop_sequences": "END,STOP"}}
    headers = upstream.headers[0]
    assert headers["authorization"] == "Bearer r8_upstream_secret" and headers["prefer"] == "wait=60"
    assert len(upstream.headers) == 1  # answered in one request: no polling


def test_multi_turn_uses_the_plain_template(client, upstream) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="llama", messages=[
        {"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"},
        {"role": "user", "content": [{"type": "text", "text": "And times 3?"}]},
    ])
    assert upstream.requests[0]["input"]["prompt"] == (
        "User: What is 2+2?\n\nAssistant: 4\n\nUser: And times 3?\n\nAssistant:")


def test_version_and_deployment_targets(client, upstream) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="pinned", messages=[{"role": "user", "content": "x"}])
    client.chat.completions.create(model="deployed", messages=[{"role": "user", "content": "x"}])
    assert upstream.paths == ["/v1/predictions", "/v1/deployments/acme/chat/predictions"]
    assert upstream.requests[0]["version"] == VERSION


def test_slow_prediction_is_polled_and_length_detected(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(ReplicateScript(pending_polls=2))
    completion = client.chat.completions.create(model="llama", max_tokens=2,
                                                messages=[{"role": "user", "content": "a b c d"}])
    assert completion.choices[0].message.content == "echo: a"
    assert completion.choices[0].finish_reason == "length"
    assert len(upstream.headers) == 4  # create + 3 polls
    assert all(h["authorization"] == "Bearer r8_upstream_secret" for h in upstream.headers)


def test_usage_is_estimated_without_metrics(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(ReplicateScript(metrics=False))
    completion = client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "count me"}])
    assert completion.usage.prompt_tokens == estimate_text("count me")
    assert completion.usage.completion_tokens == estimate_text("echo: count me")


def test_stream_over_sse(client, upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(
        model="llama", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert chunks[-1].usage.prompt_tokens == 6
    assert upstream.requests[0]["stream"] is True and "prefer" not in upstream.headers[0]
    stream_headers = upstream.headers[1]
    assert stream_headers["accept"] == "text/event-stream"
    assert stream_headers["authorization"] == "Bearer r8_upstream_secret"


def test_stream_falls_back_when_the_model_cannot_stream(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(ReplicateScript(no_stream=True, pending_polls=1))
    chunks = list(client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "x y"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: x y"
    assert chunks[-1].usage.completion_tokens == 3


def test_stream_error_event_ends_the_stream_with_an_error(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(ReplicateScript(stream_error_after=2))
    with pytest.raises(openai.APIError) as info:
        list(client.chat.completions.create(model="llama", stream=True,
                                            messages=[{"role": "user", "content": "a b c d"}]))
    assert "CUDA out of memory" in info.value.message


@pytest.mark.parametrize(("script", "exception", "code"), [
    (ReplicateScript(status=429, body={"title": "Request was throttled", "status": 429,
                                       "detail": "Request was throttled. Expected available in 4 seconds."},
                     headers={"retry-after": "4"}), openai.RateLimitError, "rate_limit_exceeded"),
    (ReplicateScript(status=401, body={"title": "Unauthenticated", "detail": "You did not pass a valid token",
                                       "status": 401}), openai.InternalServerError, "upstream_auth_error"),
    (ReplicateScript(status=422, body={"title": "Input validation failed", "status": 422,
                                       "detail": "- input.temperature: Must be less than or equal to 1"}),
     openai.BadRequestError, None),
    (ReplicateScript(fail_with="CUDA out of memory"), openai.InternalServerError, "prediction_failed"),
    (ReplicateScript(fail_with="Prompt length exceeds the maximum context length"), openai.BadRequestError,
     "context_length_exceeded"),
])
def test_errors_are_mapped(client, upstream, script, exception, code) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(script)
    with pytest.raises(exception) as info:
        client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == code
    assert "r8_upstream_secret" not in str(info.value.body)
    if script.status == 429:
        assert info.value.response.headers["retry-after"] == "4"
    if script.status == 422:
        assert "input.temperature" in info.value.message
    if script.fail_with == "CUDA out of memory":
        assert info.value.status_code == 502 and "CUDA out of memory" in info.value.message


def test_timeout_cancels_the_prediction(start_gateway, _server, upstream) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=_gateway(start_gateway, _server[1]).base_url, api_key=MASTER_KEY,
                           max_retries=0)
    upstream.queue.append(ReplicateScript(pending_polls=100))
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="short", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 504
    assert upstream.canceled == list(upstream.predictions) and upstream.headers[0]["prefer"] == "wait=1"


def test_tools_and_json_are_rejected_unless_dropped(start_gateway, _server, upstream) -> None:  # type: ignore[no-untyped-def]
    strict = openai.OpenAI(base_url=_gateway(start_gateway, _server[1]).base_url, api_key=MASTER_KEY,
                           max_retries=0)
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(openai.BadRequestError) as info:
        strict.chat.completions.create(model="llama", tools=[tool], messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "tools" and info.value.code == "unsupported_parameter"
    with pytest.raises(openai.BadRequestError) as info:
        strict.chat.completions.create(model="llama", response_format={"type": "json_object"},
                                       messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "response_format" and upstream.requests == []
    lenient = _gateway(start_gateway, _server[1], litellm_settings={"drop_params": True})
    relaxed = openai.OpenAI(base_url=lenient.base_url, api_key=MASTER_KEY, max_retries=0)
    completion = relaxed.chat.completions.create(model="llama", tools=[tool], response_format={"type": "json_object"},
                                                 messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].message.content == "echo: x"
    assert set(upstream.requests[0]["input"]) == {"prompt"}


def test_key_from_environment(start_gateway, _server, upstream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_from_env")
    gateway = start_gateway({"model_list": [{"model_name": "m", "litellm_params": {
        "model": "replicate/meta/meta-llama-3-8b-instruct", "api_base": _server[1]}}]})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert upstream.headers[0]["authorization"] == "Bearer r8_from_env"


def test_abandoned_stream_cancels_the_prediction(client, upstream) -> None:  # type: ignore[no-untyped-def]
    import time

    upstream.queue.append(ReplicateScript(token_delay=0.2))
    stream = client.chat.completions.create(model="llama", stream=True,
                                            messages=[{"role": "user", "content": "a b c d e f g h i j k l"}])
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            break
    stream.close()
    deadline = time.monotonic() + 10
    while not upstream.canceled and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.canceled == list(upstream.predictions)
