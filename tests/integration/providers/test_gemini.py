"""Gemini (AI Studio) through the running gateway with the official openai SDK, against a fake
Gemini API on a real socket."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.gemini_upstream import PNG_BYTES, SIGNATURE, FakeGoogle, Scripted
from tests.support.servers import serve_app

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                "required": ["city"], "additionalProperties": False}},
}
USER = [{"role": "user", "content": "hi there"}]


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeGoogle, str]]:
    fake = FakeGoogle()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def google(_server: tuple[FakeGoogle, str]) -> Iterator[FakeGoogle]:
    fake, url = _server
    fake.reset()
    fake.base_url = url  # type: ignore[attr-defined]
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway: Any, google: FakeGoogle) -> openai.OpenAI:
    params = {"api_base": google.base_url, "api_key": "AIza-upstream-secret"}  # type: ignore[attr-defined]
    gateway = start_gateway({"model_list": [
        {"model_name": "gemini", "litellm_params": {"model": "gemini/gemini-2.5-flash", **params}},
        {"model_name": "gemini-embed", "litellm_params": {"model": "gemini/text-embedding-004", **params}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat(client: openai.OpenAI, google: FakeGoogle) -> None:
    completion = client.chat.completions.create(
        model="gemini", messages=[{"role": "system", "content": "be brief"}, *USER],
        temperature=0.2, max_tokens=50, seed=7, stop=["END"], top_p=0.5,
    )
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gemini-2.5-flash-fake"
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens_details is not None
    assert usage.prompt_tokens == 9 and usage.completion_tokens == 5 and usage.total_tokens == 14
    assert usage.prompt_tokens_details.cached_tokens == 4
    assert google.paths[0] == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert google.headers[0]["x-goog-api-key"] == "AIza-upstream-secret"
    sent = google.requests[0]
    assert sent["systemInstruction"] == {"parts": [{"text": "be brief"}]}
    assert sent["contents"] == [{"role": "user", "parts": [{"text": "hi there"}]}]
    assert sent["generationConfig"] == {"temperature": 0.2, "topP": 0.5, "seed": 7, "maxOutputTokens": 50,
                                        "stopSequences": ["END"]}


def test_stream_with_usage(client: openai.OpenAI, google: FakeGoogle) -> None:
    chunks = list(client.chat.completions.create(model="gemini", messages=[{"role": "user", "content": "one two"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert google.paths[0] == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    text = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert text == ["echo: ", "one ", "two"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5 and chunks[-1].usage.prompt_tokens_details.cached_tokens == 4


def test_streamed_tool_call(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(
        model="gemini", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL], stream=True,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(deltas) == 1 and deltas[0].index == 0 and deltas[0].id and deltas[0].function.name == "get_weather"
    assert json.loads(deltas[0].function.arguments or "") == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_tool_round_trip(client: openai.OpenAI, google: FakeGoogle) -> None:
    first = client.chat.completions.create(model="gemini", messages=[{"role": "user", "content": "weather?"}],
                                           tools=[WEATHER_TOOL], tool_choice="required")
    assert google.requests[0]["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert google.requests[0]["tools"][0]["functionDeclarations"][0]["parameters"] == {
        "type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}
    assert first.choices[0].finish_reason == "tool_calls"
    calls = first.choices[0].message.tool_calls
    assert calls is not None
    call = calls[0]
    second = client.chat.completions.create(model="gemini", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather?"},
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"forecast": "sunny"}'},
    ])
    assert second.choices[0].message.content == 'echo: {"forecast":"sunny"}'
    assert second.choices[0].finish_reason == "stop"
    contents = google.requests[1]["contents"]
    assert contents[1] == {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": SIGNATURE}]}
    assert contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"forecast": "sunny"}}}]}


def test_vision_data_uri_and_fetched_url(client: openai.OpenAI, google: FakeGoogle,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOLLWAY_IMAGE_FETCH_ALLOW_PRIVATE", "1")
    data = base64.b64encode(b"jpeg-bytes").decode()
    client.chat.completions.create(model="gemini", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}},
        {"type": "image_url", "image_url": {"url": f"{google.base_url}/image.png"}},  # type: ignore[attr-defined]
    ]}])
    assert google.requests[0]["contents"][0]["parts"] == [
        {"text": "what is this?"},
        {"inlineData": {"mimeType": "image/jpeg", "data": data}},
        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG_BYTES).decode()}},
    ]


def test_json_mode_and_schema(client: openai.OpenAI, google: FakeGoogle) -> None:
    completion = client.chat.completions.create(model="gemini", messages=USER, response_format={"type": "json_object"})
    assert json.loads(completion.choices[0].message.content or "") == {"answer": "hi there"}
    assert google.requests[0]["generationConfig"] == {"responseMimeType": "application/json"}
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
              "additionalProperties": False}
    client.chat.completions.create(model="gemini", messages=USER, response_format={
        "type": "json_schema", "json_schema": {"name": "reply", "strict": True, "schema": schema}})
    assert google.requests[1]["generationConfig"] == {"responseMimeType": "application/json",
                                                      "responseJsonSchema": schema}


def test_reasoning(client: openai.OpenAI, google: FakeGoogle) -> None:
    completion = client.chat.completions.create(model="gemini", messages=USER, reasoning_effort="medium")
    assert google.requests[0]["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 8192,
                                                                         "includeThoughts": True}
    message = completion.choices[0].message
    assert message.content == "echo: hi there"
    assert (message.model_extra or {})["reasoning_content"] == "Let me think about this."
    usage = completion.usage
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens == 17 and usage.completion_tokens_details.reasoning_tokens == 12
    chunks = list(client.chat.completions.create(model="gemini", messages=USER, reasoning_effort="low", stream=True))
    reasoning = [(c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks if c.choices]
    assert "Let me think about this." in reasoning


def test_n_candidates_and_length_finish(client: openai.OpenAI, google: FakeGoogle) -> None:
    completion = client.chat.completions.create(model="gemini", messages=USER, n=2)
    assert google.requests[0]["generationConfig"] == {"candidateCount": 2}
    assert [c.index for c in completion.choices] == [0, 1]
    google.queue.append(Scripted(body={"candidates": [{"content": {"role": "model", "parts": [{"text": "trunc"}]},
                                                       "finishReason": "MAX_TOKENS", "index": 0}],
                                       "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1,
                                                         "totalTokenCount": 4}}))
    truncated = client.chat.completions.create(model="gemini", messages=USER, max_completion_tokens=1)
    assert truncated.choices[0].finish_reason == "length" and truncated.choices[0].message.content == "trunc"


def _google_error(code: int, status: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": details or []}}


@pytest.mark.parametrize(("script", "exception", "status", "code"), [
    (Scripted(429, _google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}])),
     openai.RateLimitError, 429, "rate_limit_exceeded"),
    (Scripted(400, _google_error(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum "
                                                          "number of tokens allowed (1048576).")),
     openai.BadRequestError, 400, "context_length_exceeded"),
    (Scripted(body={"promptFeedback": {"blockReason": "SAFETY"},
                    "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}}),
     openai.BadRequestError, 400, "content_filter"),
    (Scripted(400, _google_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}])),
     openai.InternalServerError, 502, "upstream_auth_error"),
    (Scripted(503, _google_error(503, "UNAVAILABLE", "The model is overloaded.")),
     openai.InternalServerError, 503, None),
    (Scripted(504, _google_error(504, "DEADLINE_EXCEEDED", "Deadline exceeded")),
     openai.InternalServerError, 504, None),
])
def test_errors_are_mapped(client: openai.OpenAI, google: FakeGoogle, script: Scripted,
                           exception: type[openai.APIStatusError], status: int, code: str | None) -> None:
    google.queue.append(script)
    with pytest.raises(exception) as info:
        client.chat.completions.create(model="gemini", messages=USER)
    assert info.value.status_code == status and info.value.code == code
    assert "AIza-upstream-secret" not in str(info.value.body)
    if status == 429:
        assert info.value.response.headers["retry-after"] == "17"


def test_errors_in_streams(client: openai.OpenAI, google: FakeGoogle) -> None:
    google.queue.append(Scripted(429, _google_error(429, "RESOURCE_EXHAUSTED", "slow down")))
    with pytest.raises(openai.RateLimitError):
        list(client.chat.completions.create(model="gemini", messages=USER, stream=True))
    google.queue.append(Scripted(events=[
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "partial"}]}, "index": 0}]},
        {"error": {"code": 500, "message": "upstream exploded", "status": "INTERNAL"}},
    ]))
    with pytest.raises(openai.APIError) as info:
        list(client.chat.completions.create(model="gemini", messages=USER, stream=True))
    assert "upstream exploded" in info.value.message


def test_unsupported_parameter_is_named(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gemini", messages=USER, logit_bias={"50256": -100})
    assert info.value.param == "logit_bias" and info.value.code == "unsupported_parameter"


def test_embeddings(client: openai.OpenAI, google: FakeGoogle) -> None:
    result = client.embeddings.create(model="gemini-embed", input=["a b", "c"], dimensions=4)
    assert google.paths[0] == "/v1beta/models/text-embedding-004:batchEmbedContents"
    assert google.requests[0] == {"requests": [
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "a b"}]}, "outputDimensionality": 4},
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "c"}]}, "outputDimensionality": 4}]}
    assert [d.index for d in result.data] == [0, 1] and result.data[1].embedding == [0.5] * 4
    assert result.usage.prompt_tokens == 3
    raw = client.embeddings.with_raw_response.create(model="gemini-embed", input="x", encoding_format="base64")
    encoded = json.loads(raw.text)["data"][0]["embedding"]
    assert struct.unpack("<3f", base64.b64decode(encoded)) == (0.25, 0.25, 0.25)
