"""SageMaker formats without I/O: prompts, TGI parameters and answers, payload reassembly, error mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tollway.errors import (
    ContextWindowExceededError,
    GatewayTimeoutError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamError,
)
from tollway.providers import registry
from tollway.providers.sagemaker import errors, prompt, tgi
from tollway.providers.sagemaker.adapter import SageMakerChatProvider, SageMakerProvider
from tollway.providers.sagemaker.messages import StreamReader
from tollway.providers.sagemaker.payload import PayloadLines
from tollway.types.chat import ChatRequest

TURNS = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"},
         {"role": "assistant", "content": "hello"}, {"role": "user", "content": [{"type": "text", "text": "more"}]}]


def test_registered() -> None:
    assert registry.load("sagemaker") is SageMakerProvider
    assert registry.load("sagemaker_chat") is SageMakerChatProvider


def test_default_prompt_is_the_text_joined() -> None:
    assert prompt.build(TURNS, "my-endpoint", {}) == "be brief hi hello more"


def test_model_family_templates() -> None:
    assert prompt.build(TURNS, "meta-llama/Llama-2-7b-chat-hf", {}) == (
        "<s>[INST] <<SYS>>\nbe brief\n<</SYS>>\n\nhi [/INST] hello </s><s>[INST] more [/INST]")
    assert prompt.build(TURNS, "mistralai/Mistral-7B-Instruct-v0.3", {}) == (
        "<s>[INST] be brief\n\nhi [/INST] hello</s>[INST] more [/INST]")
    llama3 = prompt.build(TURNS, "meta-llama/Meta-Llama-3-8B-Instruct", {})
    assert llama3.startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nbe brief<|eot_id|>")
    assert llama3.endswith("more<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")


def test_custom_prompt_template_from_the_deployment() -> None:
    settings = {"initial_prompt_value": "<<", "final_prompt_value": ">>",
                "roles": {"user": {"pre_message": "U:", "post_message": "\n"},
                          "assistant": {"pre_message": "A:", "post_message": "\n"}}}
    assert prompt.build(TURNS[1:], "x", settings) == "<<U:hi\nA:hello\nU:more\n>>"


def test_images_are_refused_for_text_generation() -> None:
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]}
    with pytest.raises(InvalidRequestError, match="sagemaker_chat"):
        prompt.build([image], "x", {})


def test_tgi_parameters() -> None:
    body = {"max_completion_tokens": 9, "temperature": 0, "top_p": 0.5, "top_k": 3, "stop": "X", "seed": 1, "n": 2}
    assert tgi.parameters(body, allow_zero_temp=False) == {
        "max_new_tokens": 9, "temperature": 0.01, "top_p": 0.5, "top_k": 3, "seed": 1, "stop": ["X"],
        "best_of": 2, "do_sample": True}
    assert tgi.parameters({"temperature": 0}, allow_zero_temp=True) == {"temperature": 0}


def test_tgi_answers() -> None:
    answer = tgi.to_response([{"generated_text": "PROMPT and more"}], "PROMPT", {}, "ep")
    assert answer.choices[0].message.content == " and more"  # return_full_text echoes are removed
    jumpstart = tgi.to_response({"generation": "hello world"}, "p", {"max_new_tokens": 2}, "ep")
    assert jumpstart.choices[0].message.content == "hello world"
    assert jumpstart.choices[0].finish_reason == "length" and jumpstart.usage.completion_tokens == 2
    with pytest.raises(UpstreamError):
        tgi.to_response({"unexpected": 1}, "p", {}, "ep")


def test_tgi_stream_translator_with_lmi_lines_and_a_whole_answer() -> None:
    translator = tgi.StreamTranslator("ep", "p q", {}, "sagemaker")
    chunks = [c for value in ({"outputs": ["Hel"]}, {"outputs": ["lo"]}) for c in translator.feed(value)]
    chunks += translator.end()
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello"
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-1].usage.prompt_tokens == 2
    with pytest.raises(UpstreamError, match="without sending any event"):
        tgi.StreamTranslator("ep", "p", {}, "sagemaker").end()
    whole = tgi.StreamTranslator("ep", "p", {}, "sagemaker")
    assert whole.feed([{"generated_text": "all at once"}])[-1].choices[0].delta.content == "all at once"
    with pytest.raises(RateLimitError):
        whole.feed({"error": "Model is overloaded", "error_type": "overloaded"})
    with pytest.raises(ContextWindowExceededError):
        whole.feed({"error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096",
                    "error_type": "validation"})


def test_payload_lines_reassemble_split_events() -> None:
    lines = PayloadLines("sagemaker")
    event = b'data: {"a": 1}\n\n'
    assert lines.feed(event[:7]) == []
    assert lines.feed(event[7:] + b': keepalive\n\n{"b": 2}\ndata: [DONE]\n\n') == [{"a": 1}, {"b": 2}]
    assert lines.done and lines.end() == []
    broken = PayloadLines("sagemaker")
    with pytest.raises(UpstreamError, match="not JSON"):
        broken.feed(b"<html>oops</html>\n")


def test_messages_stream_reader_moves_usage_to_a_last_chunk() -> None:
    request = ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    reader = StreamReader(request, "ep", "sagemaker_chat")
    base: dict[str, Any] = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "x"}
    out = reader.feed({**base, "choices": [{"index": 0, "delta": {"content": "hey"}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
    assert out[0].usage is None and out[0].model == "ep"
    last = reader.end()[0]
    assert last.choices == [] and last.usage is not None and last.usage.total_tokens == 4


class _ClientError(Exception):
    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response


def _error(code: str, message: str, status: int = 400, **extra: Any) -> _ClientError:
    return _ClientError({"Error": {"Code": code, "Message": message},
                         "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}}, **extra})


@pytest.mark.parametrize(("error", "kind", "code"), [
    (_error("ValidationError", "Endpoint x of account 1 not found."), UpstreamError, "upstream_not_found"),
    (_error("ValidationError", "Received payload size exceeds 6MB"), InvalidRequestError, None),
    (_error("ThrottlingException", "Rate exceeded"), RateLimitError, None),
    (_error("ModelNotReadyException", "not ready", 429), ServiceUnavailableError, None),
    (_error("ServiceUnavailable", "busy", 503), ServiceUnavailableError, None),
    (_error("AccessDeniedException", "no", 403), UpstreamError, "upstream_auth_error"),
    (_error("ModelStreamError", "Model invocation time exceeded"), GatewayTimeoutError, None),
    (_error("InternalStreamFailure", "boom", 500), UpstreamError, None),
    (_error("ModelError", "Received client error (400)", 424, OriginalStatusCode=400,
            OriginalMessage=json.dumps({"error": "Input validation error: `inputs` tokens + `max_new_tokens` "
                                                 "must be <= 2048. Given: 3000"})), ContextWindowExceededError, None),
    (_error("ModelError", "Received client error (429)", 424, OriginalStatusCode=429,
            OriginalMessage="slow down"), RateLimitError, None),
    (_error("ModelError", "no original", 424), UpstreamError, "model_error"),
])
def test_error_mapping(error: _ClientError, kind: type, code: str | None) -> None:
    mapped = errors.from_client_error(error)
    assert type(mapped) is kind
    if code:
        assert mapped.code == code


def test_embedding_answers() -> None:
    from tollway.providers.sagemaker import embeddings
    from tollway.types.embeddings import EmbeddingRequest

    one = EmbeddingRequest(model="m", input="hello world")
    assert embeddings.to_response([0.5, 1], one, "ep").data[0].embedding == [0.5, 1.0]  # a bare vector
    two = EmbeddingRequest(model="m", input=["a", "b"], encoding_format="base64")
    assert isinstance(embeddings.to_response({"embedding": [[1.0], [2.0]]}, two, "ep").data[1].embedding, str)
    with pytest.raises(UpstreamError, match="one embedding per input"):
        embeddings.to_response([[1.0]], two, "ep")
    with pytest.raises(InvalidRequestError):
        embeddings.request_body(EmbeddingRequest(model="m", input=[[1, 2]]), drop_params=False)


async def _parts(*chunks: bytes):  # type: ignore[no-untyped-def]
    for chunk in chunks:
        yield chunk


async def test_native_stream_appends_usage_only_when_missing() -> None:
    from tollway.passthrough.wire import OPENAI_CHAT, WireRequest
    from tollway.providers.sagemaker import native

    request = WireRequest(OPENAI_CHAT, {"model": "m", "messages": [{"role": "user", "content": "hi there"}]}, {})
    chunk = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"x","choices":[{"index":0,' \
            b'"delta":{"content":"yo"}}]}\n\n'
    events = [e async for e in native.events(request, _parts(b": ping\n\n", chunk[:20], chunk[20:],
                                                               b"data: [DONE]\n\n"), "sagemaker_chat")]
    assert [e.raw for e in events[:1]] == [chunk]  # the keepalive is not relayed, the chunk is, as framed
    assert events[1].usage is not None and events[1].usage.completion_tokens == 1
    assert events[1].data is not None and events[1].data["choices"] == [] and events[2].name == "done"
    usage = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"x","choices":[],' \
            b'"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}\n\n'
    reported = [e async for e in native.events(request, _parts(chunk, usage), "sagemaker_chat")]
    assert len(reported) == 2 and reported[1].usage is not None and reported[1].usage.total_tokens == 3
    with pytest.raises(UpstreamError, match="without sending any event"):
        [e async for e in native.events(request, _parts(b": ping\n\n"), "sagemaker_chat")]
