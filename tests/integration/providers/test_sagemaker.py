"""``sagemaker/...`` and ``sagemaker_chat/...`` deployments through the running app and the official
openai SDK. The gateway uses the real boto3 ``sagemaker-runtime`` client (SigV4, REST, the binary
event stream of ``InvokeEndpointWithResponseStream``) against a fake SageMaker Runtime endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.sagemaker_upstream import FakeSageMaker, Script
from tests.support.servers import serve_app


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeSageMaker, str]]:
    fake = FakeSageMaker()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeSageMaker, str]) -> Iterator[FakeSageMaker]:
    fake, _ = _server
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway, _server, monkeypatch) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    _, url = _server
    monkeypatch.setenv("SM_TEST_KEY_ID", "AKIDSAGEMAKER")
    common = {"api_base": url, "aws_region_name": "eu-west-1"}
    gateway = start_gateway({"model_list": [
        {"model_name": "chat", "litellm_params": {"model": "sagemaker_chat/tgi-messages-endpoint", **common,
                                                  "model_id": "llama-ic-1"}},
        {"model_name": "tgi", "litellm_params": {"model": "sagemaker/jumpstart-dft-hf-llm-mistral-7b-instruct",
                                                 **common, "hf_model_name": "mistralai/Mistral-7B-Instruct-v0.3"}},
        {"model_name": "tgi-zero", "litellm_params": {"model": "sagemaker/plain-endpoint", **common,
                                                      "aws_sagemaker_allow_zero_temp": True}},
        {"model_name": "keyed", "litellm_params": {"model": "sagemaker_chat/keyed-endpoint", "api_base": url,
                                                   "aws_region_name": "ap-southeast-2",
                                                   "aws_access_key_id": "os.environ/SM_TEST_KEY_ID",
                                                   "aws_secret_access_key": "sm-secret"}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def _text(chunks: list) -> str:  # type: ignore[type-arg]
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# ----------------------------------------------------------------------------- sagemaker_chat


def test_messages_api_invoke_is_sigv4_signed(client, upstream) -> None:  # type: ignore[no-untyped-def]
    raw = client.chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0.3, max_tokens=50)
    completion = raw.parse()
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 5)
    assert completion.model == "tgi"  # the container's own body, passed through
    call = upstream.calls[0]
    assert call.operation == "invoke" and call.endpoint == "tgi-messages-endpoint"
    assert call.body == {"messages": [{"role": "system", "content": "be brief"},
                                      {"role": "user", "content": "hi there"}],
                         "temperature": 0.3, "max_tokens": 50}
    assert call.headers["content-type"] == "application/json" and call.headers["accept"] == "application/json"
    assert call.headers["x-amzn-sagemaker-inference-component"] == "llama-ic-1"
    auth = call.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/eu-west-1/sagemaker/aws4_request" in auth
    assert raw.headers["x-tollway-deployment"]


def test_explicit_credentials_and_region(client, upstream) -> None:  # type: ignore[no-untyped-def]
    client.chat.completions.create(model="keyed", messages=[{"role": "user", "content": "x"}])
    auth = upstream.calls[0].headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDSAGEMAKER/")
    assert "/ap-southeast-2/sagemaker/aws4_request" in auth
    assert "sm-secret" not in str(upstream.calls[0].headers)


def test_messages_api_stream_split_across_payload_parts(client, upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "a b c"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert _text(chunks) == "echo: a b c"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    call = upstream.calls[0]
    assert call.operation == "invoke-stream"
    assert call.body["stream"] is True and call.body["stream_options"] == {"include_usage": True}
    assert call.headers["x-amzn-sagemaker-accept"] == "application/json"


def test_messages_api_without_usage_is_charged_on_an_estimate(start_gateway, _server, upstream) -> None:  # type: ignore[no-untyped-def]
    _, url = _server
    gateway = start_gateway({"model_list": [{"model_name": "priced", "litellm_params": {
        "model": "sagemaker_chat/ep", "api_base": url, "input_cost_per_token": 0.001,
        "output_cost_per_token": 0.002}}]})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    upstream.queue.append(Script(usage=False))
    raw = client.chat.completions.with_raw_response.create(model="priced",
                                                           messages=[{"role": "user", "content": "count me"}])
    assert raw.parse().usage is None  # relayed as the container sent it...
    assert float(raw.headers["x-tollway-response-cost"]) > 0.002  # ...and charged on the estimate
    upstream.queue.append(Script(usage=False))
    chunks = list(client.chat.completions.create(model="priced", messages=[{"role": "user", "content": "x y"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert _text(chunks) == "echo: x y"
    usage = chunks[-1].usage  # appended by the gateway: the prompt's estimate, one token per relayed event
    assert chunks[-1].choices == [] and usage.completion_tokens == 5 and usage.prompt_tokens > 0
    upstream.queue.append(Script(usage=False))
    plain = list(client.chat.completions.create(model="priced", messages=[{"role": "user", "content": "x y"}],
                                                stream=True))
    assert all(c.usage is None for c in plain)  # the client did not ask for it


def test_cost_is_charged_from_usage(start_gateway, _server, upstream) -> None:  # type: ignore[no-untyped-def]
    _, url = _server
    gateway = start_gateway({"model_list": [{"model_name": "priced", "litellm_params": {
        "model": "sagemaker_chat/ep", "api_base": url, "input_cost_per_token": 0.001,
        "output_cost_per_token": 0.002}}]})
    raw = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0).chat.completions \
        .with_raw_response.create(model="priced", messages=[{"role": "user", "content": "x"}])
    assert float(raw.headers["x-tollway-response-cost"]) == pytest.approx(11 * 0.001 + 5 * 0.002)


# ----------------------------------------------------------------------------- sagemaker (TGI)


def test_tgi_invoke_prompt_and_parameters(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Script(details=True))
    completion = client.chat.completions.create(
        model="tgi", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        temperature=0, max_tokens=40, top_p=0.9, stop="END", seed=7)
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (9, 4)  # from details
    body = upstream.calls[0].body
    assert body["inputs"] == "<s>[INST] be brief\n\nhi there [/INST]"
    assert body["parameters"] == {"max_new_tokens": 40, "temperature": 0.01, "top_p": 0.9, "seed": 7,
                                  "stop": ["END"]}
    assert "stream" not in body


def test_tgi_stream_tokens_and_details(client, upstream) -> None:  # type: ignore[no-untyped-def]
    chunks = list(client.chat.completions.create(model="tgi-zero", temperature=0, stream=True,
                                                 stream_options={"include_usage": True},
                                                 messages=[{"role": "user", "content": "one two"}]))
    assert _text(chunks) == "echo: one two"  # the special </s> token is not text
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == 4 and chunks[-1].usage.prompt_tokens > 0
    body = upstream.calls[0].body
    assert body["stream"] is True and body["inputs"] == "one two"  # LiteLLM's default prompt
    assert body["parameters"] == {"temperature": 0}  # aws_sagemaker_allow_zero_temp


def test_tgi_refuses_tools_unless_dropped(client, upstream) -> None:  # type: ignore[no-untyped-def]
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="tgi", tools=[tool], messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "tools" and upstream.calls == []


def test_tgi_estimates_usage_without_details(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="tgi-zero", max_tokens=3,
                                                messages=[{"role": "user", "content": "a"}])
    assert completion.choices[0].message.content == "echo: a"
    assert completion.usage.completion_tokens == 3 and completion.choices[0].finish_reason == "length"


# ----------------------------------------------------------------------------- embeddings


def test_embeddings_tei_and_jumpstart_shapes(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="tgi-zero", input=["a b", "c"])  # the SDK asks for base64
    assert [d.index for d in result.data] == [0, 1]
    assert result.data[1].embedding == pytest.approx([0.2, 0.21, 0.22])
    assert result.usage.prompt_tokens == 3
    assert upstream.calls[0].body == {"inputs": ["a b", "c"]}
    upstream.queue.append(Script(body={"embedding": [[0.5, 0.25]]}))
    jumpstart = client.embeddings.create(model="tgi-zero", input="x", encoding_format="float")
    assert jumpstart.data[0].embedding == [0.5, 0.25]
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="tgi-zero", input="x", dimensions=2)
    assert info.value.param == "dimensions"
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="chat", input="x")  # a chat container


# ----------------------------------------------------------------------------- errors


def test_model_error_keeps_the_containers_status(client, upstream) -> None:  # type: ignore[no-untyped-def]
    tgi_error = json.dumps({"error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. "
                                     "Given: 5000 `inputs` tokens and 20 `max_new_tokens`",
                            "error_type": "validation"})
    upstream.queue.append(Script(status=424, error="ModelError", message="Received client error (422) from primary",
                                 original_status=422, original_message=tgi_error))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="tgi", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "context_length_exceeded"
    upstream.queue.append(Script(status=424, error="ModelError", message="Received server error (500)",
                                 original_status=500, original_message='{"error": "CUDA out of memory"}'))
    with pytest.raises(openai.APIStatusError) as failed:
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    assert failed.value.status_code == 502


def test_sagemaker_errors(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Script(status=400, error="ValidationError",
                                 message="Endpoint tgi-messages-endpoint of account 123456789012 not found."))
    with pytest.raises(openai.APIStatusError) as missing:
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    assert missing.value.status_code == 502 and missing.value.code == "upstream_not_found"
    upstream.queue.append(Script(status=400, error="ThrottlingException", message="Rate exceeded"))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    upstream.queue.append(Script(status=429, error="ModelNotReadyException", message="scaling up"))
    with pytest.raises(openai.APIStatusError) as not_ready:
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    assert not_ready.value.status_code == 503


def test_error_inside_the_stream(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Script(stream_error_after=2, message="the model container reset the connection"))
    with pytest.raises(openai.APIError) as info:
        list(client.chat.completions.create(model="chat", stream=True,
                                            messages=[{"role": "user", "content": "a b c d"}]))
    assert "reset the connection" in info.value.message


def test_error_before_the_first_part_is_a_status(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Script(stream_error_after=0, message="ModelInvocationTimeExceeded"))
    with pytest.raises(openai.APIStatusError) as info:
        list(client.chat.completions.create(model="tgi", stream=True, messages=[{"role": "user", "content": "a"}]))
    assert info.value.status_code == 504


def test_stalled_stream_ends_within_the_deadline(start_gateway, _server, upstream) -> None:  # type: ignore[no-untyped-def]
    _, url = _server
    gateway = start_gateway({"model_list": [{"model_name": "slow", "litellm_params": {
        "model": "sagemaker_chat/ep", "api_base": url, "timeout": 30, "stream_timeout": 1}}]})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0, timeout=60)
    upstream.queue.append(Script(stall_after=2))
    with pytest.raises(openai.APIError) as info:
        list(client.chat.completions.create(model="slow", stream=True, messages=[{"role": "user", "content": "a b"}]))
    assert "1s" in info.value.message


# ----------------------------------------------------------------------------- Anthropic's front door


def test_messages_front_door_in_front_of_sagemaker(start_gateway, _server, upstream) -> None:  # type: ignore[no-untyped-def]
    """Claude Code / the Anthropic SDK pointed at a SageMaker model: translated both ways, streamed too."""
    import anthropic

    _, url = _server
    gateway = start_gateway({"model_list": [
        {"model_name": "sm", "litellm_params": {"model": "sagemaker_chat/ep", "api_base": url}},
        {"model_name": "sm-tgi", "litellm_params": {"model": "sagemaker/ep-tgi", "api_base": url}},
    ]})
    client = anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
    message = client.messages.create(model="sm", max_tokens=64, system="be brief",
                                     messages=[{"role": "user", "content": "hello sagemaker"}])
    assert message.content[0].text == "echo: hello sagemaker" and message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (11, 5)
    assert upstream.calls[0].body["messages"][0] == {"role": "system", "content": "be brief"}
    with client.messages.stream(model="sm-tgi", max_tokens=64,
                                messages=[{"role": "user", "content": "stream me"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "echo: stream me" and final.stop_reason == "end_turn"
    assert upstream.calls[1].body["parameters"]["max_new_tokens"] == 64
    with client.messages.stream(model="sm", max_tokens=64,
                                messages=[{"role": "user", "content": "chat stream"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "echo: chat stream" and (final.usage.input_tokens, final.usage.output_tokens) == (11, 3)
    assert upstream.calls[2].body["stream_options"] == {"include_usage": True}


def test_unreachable_endpoint_is_502(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway = start_gateway({"model_list": [{"model_name": "dead", "litellm_params": {
        "model": "sagemaker_chat/ep", "api_base": "http://127.0.0.1:9"}}]})
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="dead", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 502 and info.value.code == "upstream_unreachable"


async def test_abandoned_stream_stops_its_reader_thread(_server) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import threading

    from tollway.config.models import Deployment
    from tollway.providers.base import CallSettings
    from tollway.providers.sagemaker.adapter import SageMakerProvider
    from tollway.types.chat import ChatRequest

    fake, url = _server
    fake.reset()
    fake.queue.append(Script(stall_after=2))
    deployment = Deployment.model_validate({"model_name": "t", "litellm_params": {
        "model": "sagemaker/ep", "api_base": url}})
    before = {t for t in threading.enumerate() if t.name == "bedrock-stream"}
    chunks = SageMakerProvider(deployment, CallSettings()).chat_stream(
        ChatRequest.model_validate({"model": "t", "messages": [{"role": "user", "content": "a b c d e f"}]}))
    first = await chunks.__anext__()
    assert first.choices[0].delta.role == "assistant"
    readers = [t for t in threading.enumerate() if t.name == "bedrock-stream" and t not in before]
    assert readers  # blocked reading the stalled stream
    await chunks.aclose()  # the client went away
    for _ in range(200):
        if not any(t.is_alive() for t in readers):
            break
        await asyncio.sleep(0.01)
    assert not any(t.is_alive() for t in readers)
    fake.reset()
