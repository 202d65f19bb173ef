"""Text from an upstream that is not valid Unicode on its own (half of a surrogate pair, as when an
emoji is split across two stream chunks) still reaches the client: the answer was paid for."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import MASTER_KEY
from tests.support.servers import serve_app

HALVES = ("\\ud83d", "\\ude00 ok")  # JSON escapes of the two halves of U+1F600


async def _chat(request: Request) -> Response:
    body = json.loads(await request.body())
    if body.get("stream"):
        events = [
            '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"g","choices":[{"index":0,'
            f'"delta":{{"role":"assistant","content":"{half}"}}}}]}}' for half in HALVES
        ]
        text = "".join(f"data: {e}\n\n" for e in events) + "data: [DONE]\n\n"
        return Response(text, media_type="text/event-stream")
    raw = ('{"id":"c1","object":"chat.completion","created":1,"model":"g","choices":[{"index":0,"message":'
           '{"role":"assistant","content":"half \\ud83d"},"finish_reason":"stop"}],'
           '"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}')
    return Response(raw, media_type="application/json")


@pytest.fixture
def http(start_gateway: Callable[..., Any]) -> Iterator[httpx.Client]:
    upstream = serve_app(Starlette(routes=[Route("/v1/chat/completions", _chat, methods=["POST"])]))
    gateway = start_gateway({"model_list": [{"model_name": "gpt", "litellm_params": {
        "model": "openai/gpt-4o", "api_base": f"{upstream.url}/v1", "api_key": "sk-up"}}]})
    with httpx.Client(base_url=gateway.url, timeout=30, headers={"authorization": f"Bearer {MASTER_KEY}"}) as c:
        yield c
    upstream.stop()


CHAT = {"model": "gpt", "messages": [{"role": "user", "content": "emoji please"}]}


def test_stream_split_inside_a_surrogate_pair(http: httpx.Client) -> None:
    """Was an in-band internal_error: pydantic could not serialise the half pair to UTF-8."""
    response = http.post("/v1/chat/completions", json={**CHAT, "stream": True})
    assert response.status_code == 200
    events = [json.loads(line[6:]) for line in response.text.split("\n")
              if line.startswith("data: ") and line != "data: [DONE]"]
    assert all("error" not in e for e in events), events
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
    assert text.encode("utf-16", "surrogatepass").decode("utf-16") == "\U0001f600 ok"
    assert response.text.rstrip().endswith("data: [DONE]")


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_lone_surrogate_in_a_whole_answer(http: httpx.Client, path: str) -> None:
    """Was a 500: the JSON body could not be encoded to UTF-8."""
    response = http.post(path, json={**CHAT, "max_tokens": 5})
    assert response.status_code == 200, response.text
    data = response.json()
    text = data["choices"][0]["message"]["content"] if "choices" in data else data["content"][0]["text"]
    assert text == "half \ud83d"


def test_messages_stream_split_inside_a_surrogate_pair(http: httpx.Client) -> None:
    response = http.post("/v1/messages", json={**CHAT, "max_tokens": 5, "stream": True})
    assert response.status_code == 200
    assert "event: message_stop" in response.text and "event: error" not in response.text
