"""Golden translations for the Replicate adapter: OpenAI request -> prediction, prediction -> OpenAI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tollway.config.models import Deployment
from tollway.errors import ContextWindowExceededError, InvalidRequestError, UnsupportedParamError, UpstreamError
from tollway.providers.base import CallSettings
from tollway.providers.replicate.adapter import ReplicateProvider
from tollway.providers.replicate.request import Target, render, target
from tollway.providers.replicate.response import parse_prediction
from tollway.providers.sse import SSEEvent
from tollway.tokens import estimate_text
from tollway.types.chat import ChatRequest


def provider(model: str = "replicate/meta/meta-llama-3-8b-instruct", *, drop_params: bool = False,
             **params: object) -> ReplicateProvider:
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {
        "model": model, "api_key": "r8_key", **params}})
    return ReplicateProvider(deployment, CallSettings(drop_params=drop_params))


def request(**fields: object) -> ChatRequest:
    return ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields})


@pytest.mark.parametrize(("model", "expected"), [
    ("meta/meta-llama-3-70b-instruct", Target("/v1/models/meta/meta-llama-3-70b-instruct/predictions")),
    ("acme/llama:abc123", Target("/v1/predictions", "abc123")),
    ("abc123", Target("/v1/predictions", "abc123")),
    ("deployments/acme/chat", Target("/v1/deployments/acme/chat/predictions")),
])
def test_targets(model: str, expected: Target) -> None:
    assert target(model) == expected


async def test_request_golden() -> None:
    upstream = await provider(timeout=30).build_chat(request(
        messages=[{"role": "system", "content": "a"}, {"role": "developer", "content": "b"},
                  {"role": "user", "content": "q1"}, {"role": "assistant", "content": "r1"},
                  {"role": "user", "content": "q2"}],
        max_completion_tokens=100, temperature=0.7, stop="###", presence_penalty=1.0, seed=9, user="u1",
        response_format={"type": "text"},
    ), stream=False)
    assert upstream.url == "https://api.replicate.com/v1/models/meta/meta-llama-3-8b-instruct/predictions"
    assert upstream.headers == {"authorization": "Bearer r8_key", "prefer": "wait=30"}
    assert upstream.json == {"input": {
        "prompt": "User: q1\n\nAssistant: r1\n\nUser: q2\n\nAssistant:", "system_prompt": "a\n\nb",
        "max_tokens": 100, "temperature": 0.7, "seed": 9, "presence_penalty": 1.0, "stop_sequences": "###",
    }}
    stream = await provider("replicate/meta/llama-2-70b-chat").build_chat(request(max_tokens=5), stream=True)
    assert stream.json == {"input": {"prompt": "hi", "max_new_tokens": 5}, "stream": True}
    assert "prefer" not in stream.headers


def test_tool_results_render_as_turns() -> None:
    req = request(messages=[{"role": "user", "content": "q"},
                            {"role": "tool", "tool_call_id": "c", "content": "42"}])
    assert render(req.messages, drop_params=False) == ("", "User: q\n\nTool result: 42\n\nAssistant:")


@pytest.mark.parametrize(("fields", "param"), [
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"reasoning_effort": "low"}, "reasoning_effort"),
    ({"logprobs": True}, "logprobs"),
    ({"n": 3}, "n"),
])
async def test_unsupported_unless_dropped(fields: dict[str, object], param: str) -> None:
    with pytest.raises(UnsupportedParamError) as info:
        await provider().build_chat(request(**fields), stream=False)
    assert info.value.param == param
    dropped = await provider(drop_params=True).build_chat(request(**fields), stream=False)
    assert dropped.json == {"input": {"prompt": "hi"}}


async def test_images_are_rejected_unless_dropped() -> None:
    content = [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]
    with pytest.raises(InvalidRequestError) as info:
        await provider().build_chat(request(messages=[{"role": "user", "content": content}]), stream=False)
    assert info.value.param == "messages"
    dropped = await provider(drop_params=True).build_chat(request(messages=[{"role": "user", "content": content}]),
                                                          stream=False)
    assert dropped.json["input"]["prompt"] == "see"


async def test_key_from_environment_or_a_gateway_error(monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": {"model": "replicate/a/b"}})
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.delenv("REPLICATE_API_KEY", raising=False)
    bare = ReplicateProvider(deployment, CallSettings())
    with pytest.raises(Exception, match="REPLICATE_API_TOKEN") as info:
        await bare.headers()
    assert getattr(info.value, "status_code", None) == 500
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_env")
    assert await bare.headers() == {"authorization": "Bearer r8_env"}


def test_parse_prediction_golden() -> None:
    input_ = {"prompt": "hello there", "max_tokens": 3}
    answer = parse_prediction({"id": "p1", "status": "succeeded", "output": ["a", " b", " c"],
                               "metrics": {"input_token_count": 7, "output_token_count": 3}}, input_, "m")
    assert answer.id == "chatcmpl-p1" and answer.choices[0].message.content == "a b c"
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (7, 3)
    estimated = parse_prediction({"id": "p2", "status": "succeeded", "output": "one string"}, input_, "m")
    assert estimated.usage is not None and estimated.usage.prompt_tokens == estimate_text("hello there")
    assert estimated.usage.completion_tokens == estimate_text("one string")


@pytest.mark.parametrize(("prediction", "error", "code"), [
    ({"status": "failed", "error": "CUDA error"}, UpstreamError, "prediction_failed"),
    ({"status": "failed", "error": "input is too long for the context window"}, ContextWindowExceededError,
     "context_length_exceeded"),
    ({"status": "canceled"}, UpstreamError, "prediction_canceled"),
    ({"status": "succeeded", "output": [{"url": "x"}]}, UpstreamError, None),
    ({"nope": 1}, UpstreamError, None),
])
def test_parse_prediction_failures(prediction: dict[str, object], error: type[Exception], code: str | None) -> None:
    with pytest.raises(error) as info:
        parse_prediction(prediction, {}, "m")
    assert getattr(info.value, "code", None) == code


async def _events(*items: tuple[str, str]) -> AsyncIterator[SSEEvent]:
    for event, data in items:
        yield SSEEvent(event, data)


async def test_parse_stream_events() -> None:
    p = provider()
    events = _events(("output", "Hi"), ("logs", "loading"), ("output", " there\nfriend"), ("done", "{}"))
    chunks = [c async for c in p.parse_stream(events, request())]
    assert [c.choices[0].delta.content for c in chunks] == ["Hi", " there\nfriend"]
    with pytest.raises(UpstreamError, match="OOM"):
        [c async for c in p.parse_stream(_events(("output", "a"), ("error", '{"detail": "OOM"}')), request())]
    with pytest.raises(UpstreamError, match="canceled"):
        [c async for c in p.parse_stream(_events(("done", '{"reason": "canceled"}')), request())]
    with pytest.raises(UpstreamError, match="without a done event"):
        [c async for c in p.parse_stream(_events(("output", "a")), request())]
