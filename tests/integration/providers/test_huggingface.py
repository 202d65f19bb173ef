"""``huggingface/...`` deployments through the running app and the official openai SDK, against a
fake Inference Providers router (OpenAI-compatible ``/v1`` plus the HF Inference
``feature-extraction`` pipeline) on a loopback socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import FakeOpenAI, Scripted
from tests.support.servers import serve_app

TOKEN = "hf_upstream_token"
WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}


class FakeRouter(FakeOpenAI):
    """FakeOpenAI's chat and embeddings, plus ``/hf-inference/models/{model}/pipeline/feature-extraction``."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self._logged(self.chat), methods=["POST"]),
            Route("/v1/embeddings", self._logged(self.embeddings), methods=["POST"]),
            Route("/hf-inference/models/{model:path}/pipeline/feature-extraction", self._logged(self.features),
                  methods=["POST"]),
        ])

    def _logged(self, handler: Any) -> Any:
        async def run(request: Request) -> Response:
            self.paths.append(request.url.path)
            return await handler(request)  # type: ignore[no-any-return]
        return run

    async def features(self, request: Request) -> Response:
        body, _ = await self._record(request)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "Invalid credentials in Authorization header"}, status_code=401)
        return JSONResponse([[0.125 * (i + 1)] * 3 for i in range(len(body["inputs"]))])


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[FakeRouter, str]]:
    fake = FakeRouter()
    server = serve_app(fake.app)
    yield fake, server.url
    server.stop()


@pytest.fixture
def upstream(_server: tuple[FakeRouter, str]) -> Iterator[FakeRouter]:
    fake, _ = _server
    fake.reset()
    fake.paths.clear()
    yield fake
    fake.reset()


@pytest.fixture
def client(start_gateway, _server, upstream) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    _, url = _server
    gateway = start_gateway({"model_list": [
        {"model_name": "llama", "litellm_params": {
            "model": "huggingface/meta-llama/Llama-3.3-70B-Instruct:fireworks-ai", "hf_router_base": url,
            "api_key": TOKEN}},
        {"model_name": "minilm", "litellm_params": {
            "model": "huggingface/sentence-transformers/all-MiniLM-L6-v2", "hf_router_base": url, "api_key": TOKEN}},
        {"model_name": "endpoint", "litellm_params": {"model": "huggingface/tgi", "api_base": f"{url}/v1",
                                                      "api_key": TOKEN}},
    ]})
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def test_chat_through_the_router(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "hi there"}],
                                                max_completion_tokens=30)
    assert completion.choices[0].message.content == "echo: hi there"
    assert completion.choices[0].finish_reason == "stop" and completion.usage.completion_tokens == 5
    assert upstream.paths == ["/v1/chat/completions"]
    assert upstream.requests[0]["model"] == "meta-llama/Llama-3.3-70B-Instruct:fireworks-ai"
    assert upstream.requests[0]["max_tokens"] == 30
    assert upstream.headers[0]["authorization"] == f"Bearer {TOKEN}"


def test_stream_tool_call_and_round_trip(client, upstream) -> None:  # type: ignore[no-untyped-def]
    force = {"type": "function", "function": {"name": "get_weather"}}
    chunks = list(client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "w?"}],
                                                 tools=[WEATHER_TOOL], tool_choice=force, stream=True,
                                                 stream_options={"include_usage": True}))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].usage is not None
    answer = client.chat.completions.create(model="llama", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "w?"},
        {"role": "assistant", "tool_calls": [{"id": deltas[0].id, "type": "function",
                                              "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": deltas[0].id, "content": "rainy"},
    ])
    assert answer.choices[0].message.content == "echo: rainy"


def test_rate_limit_is_mapped(client, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.queue.append(Scripted(429, {"error": "Rate limit reached"}, {"retry-after": "5"}))
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "5"


def test_feature_extraction_embeddings(client, upstream) -> None:  # type: ignore[no-untyped-def]
    result = client.embeddings.create(model="minilm", input=["a b", "c"])
    assert [d.embedding for d in result.data] == [[0.125] * 3, [0.25] * 3]
    assert upstream.paths == ["/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction"]
    assert upstream.requests[0] == {"inputs": ["a b", "c"]}
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="minilm", input="x", dimensions=2)
    assert info.value.code == "unsupported_parameter"


def test_dedicated_endpoint(client, upstream) -> None:  # type: ignore[no-untyped-def]
    completion = client.chat.completions.create(model="endpoint", messages=[{"role": "user", "content": "ok"}])
    assert completion.choices[0].message.content == "echo: ok"
    result = client.embeddings.create(model="endpoint", input="x", dimensions=2)
    assert len(result.data[0].embedding) == 2
    assert upstream.paths == ["/v1/chat/completions", "/v1/embeddings"]
