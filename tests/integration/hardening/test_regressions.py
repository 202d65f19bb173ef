"""One plain example per bug the fuzzing found; each failed (a 500, a hang or a wrong answer) before its fix."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.hardening.support import assert_error, assert_handled

CHAT = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "mock-chat", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


# ----------------------------------------------------------------------------- JSON parsing (api/bodies.py)


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/embeddings", "/v1/messages"])
def test_body_nested_past_the_parsers_recursion_limit_is_a_400(http: httpx.Client, path: str) -> None:
    """Was a 500: json.loads raised RecursionError, which is not a ValueError."""
    error = assert_error(http.post(path, content=b"[" * 100_000), statuses=(400,))
    assert error["code"] == "invalid_json" and "nested too deeply" in error["message"]


def test_tool_schema_nested_past_the_serialisers_limit_is_a_400(http: httpx.Client) -> None:
    """Was a 500: pydantic refused to serialise the 300-level schema while metering sized the prompt."""
    tools = [{"type": "function", "function": {"name": "f", "parameters": _nested(300)}}]
    error = assert_error(http.post("/v1/chat/completions", json={**CHAT, "tools": tools}), statuses=(400,))
    assert error["code"] == "invalid_json"


def test_schema_nested_within_the_limit_is_served(http: httpx.Client) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": _nested(100)}}]
    assert http.post("/v1/chat/completions", json={**CHAT, "tools": tools}).status_code == 200


@pytest.mark.parametrize(("path", "raw"), [
    ("/v1/chat/completions", b'{"model":"mock-chat","messages":[{"role":"user","content":"\\ud800"}]}'),
    ("/v1/chat/completions", b'{"model":"gpt","messages":[{"role":"user","content":"a\\udfffb"}],"stream":true}'),
    ("/v1/embeddings", b'{"model":"mock-embed","input":["ok","\\ud83d"]}'),
    ("/v1/messages", b'{"model":"mock-chat","max_tokens":5,"messages":[{"role":"user","content":"\\ude00"}]}'),
])
def test_lone_surrogate_escape_is_a_400(http: httpx.Client, openai_upstream: Any, path: str, raw: bytes) -> None:
    """Was a 500: the string parsed but could not be encoded to UTF-8 when metering sized the prompt."""
    error = assert_error(http.post(path, content=raw), statuses=(400,))
    assert "Unicode" in error["message"]
    assert openai_upstream.requests == []


def test_escaped_surrogate_pairs_are_still_text(http: httpx.Client) -> None:
    """Clients that escape non-ASCII (Python's json.dumps) send emoji as surrogate pairs: valid."""
    raw = b'{"model":"mock-chat","messages":[{"role":"user","content":"\\ud83d\\ude00 hi"}]}'
    response = http.post("/v1/chat/completions", content=raw)
    assert response.status_code == 200
    assert "\U0001f600" in response.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused_not_forwarded(http: httpx.Client, openai_upstream: Any,
                                                      literal: str) -> None:
    """Was a 200: NaN/Infinity (not JSON) were parsed and sent on to the upstream as such."""
    raw = f'{{"model":"gpt","messages":[{{"role":"user","content":"x"}}],"logit_bias":{{"50256":{literal}}}}}'
    error = assert_error(http.post("/v1/chat/completions", content=raw), statuses=(400,))
    assert error["code"] == "invalid_json" and literal.lstrip("-") in error["message"]
    assert openai_upstream.requests == []


def test_invalid_utf8_says_so(http: httpx.Client) -> None:
    error = assert_error(http.post("/v1/chat/completions", content=b'{"model":"\xff"}'), statuses=(400,))
    assert "UTF-8" in error["message"]


def test_chunked_body_over_the_limit_is_a_413(http: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunked upload declares no length; it is refused once it passes the limit."""
    from tollway.api import bodies

    monkeypatch.setattr(bodies, "MAX_BODY_BYTES", 1000)
    chunks = (b'{"model":"mock-chat","x":"' + b"a" * 400 for _ in range(5))
    assert_error(http.post("/v1/chat/completions", content=chunks), statuses=(413,))


@pytest.mark.parametrize("function", [{}, {"name": ""}, {"arguments": "{}"}])
def test_named_tool_choice_without_a_name_is_a_400(http: httpx.Client, openai_upstream: Any,
                                                    function: dict[str, str]) -> None:
    """Was forwarded upstream (a 502 from the fake, whatever the provider made of it): OpenAI requires the name."""
    body = {**CHAT, "model": "gpt", "tools": [{"type": "function", "function": {"name": "f"}}],
            "tool_choice": {"type": "function", "function": function}}
    assert assert_error(http.post("/v1/chat/completions", json=body), statuses=(400,))["param"] == "tool_choice"
    assert openai_upstream.requests == []


# ----------------------------------------------------------------------------- Messages translation


@pytest.mark.parametrize("messages", [
    [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": ["plain string"]}]}],
    [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": 5}]}],
    [{"role": "user", "content": [{"type": "text", "text": 5}]}],
    [{"role": "user", "content": [{"type": "image", "source": "https://example.com/a.png"}]}],
    [{"role": "assistant", "content": [{"type": "text", "text": ["a"]}]}],
    [{"role": "assistant", "content": [{"type": "thinking", "thinking": {"a": 1}}]}],
    [{"role": "assistant", "content": [{"type": "tool_use", "id": 5, "name": None, "input": {}}]}],
])
@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_wrongly_typed_content_blocks_are_a_400(http: httpx.Client, path: str, messages: list[Any]) -> None:
    """Were 500s: the translator assumed dict blocks with string fields (AttributeError, TypeError,
    or a pydantic ValidationError escaping from the canonical model)."""
    response = http.post(path, json={**MESSAGES, "messages": messages})
    error = assert_error(response, statuses=(400,))
    assert response.json()["type"] == "error" and error["type"] == "invalid_request_error"


@pytest.mark.parametrize("extra", [
    {"thinking": {"type": "enabled", "budget_tokens": "lots"}},
    {"tool_choice": {"type": "tool", "name": 5}},
    {"system": [{"type": "text", "text": None}]},
])
def test_wrongly_typed_options_are_a_400(http: httpx.Client, extra: dict[str, Any]) -> None:
    """Were 500s: int("lots"), and the canonical model's ValidationError escaping the translator."""
    assert_error(http.post("/v1/messages", json={**MESSAGES, **extra}), statuses=(400,))


def test_count_tokens_with_max_tokens(http: httpx.Client) -> None:
    """Was a 500: an extra ``max_tokens`` made the count_tokens body look like a full Messages request."""
    response = http.post("/v1/messages/count_tokens", json=MESSAGES)
    assert response.status_code == 200, response.text
    assert response.json()["input_tokens"] > 0


def test_unknown_method_on_messages_is_an_invalid_request(http: httpx.Client) -> None:
    """Was typed ``api_error`` (Anthropic's 500 type) for a 405."""
    response = http.delete("/v1/messages")
    assert assert_error(response, statuses=(405,))["type"] == "invalid_request_error"


@pytest.mark.parametrize(("path", "body", "stream"), [
    ("/v1/messages", MESSAGES, False), ("/v1/chat/completions", CHAT, False),
    ("/v1/messages", MESSAGES, True), ("/v1/chat/completions", CHAT, True),
])
def test_unexpected_failures_use_the_paths_envelope(http: httpx.Client, monkeypatch: pytest.MonkeyPatch,
                                                    path: str, body: dict[str, Any], stream: bool) -> None:
    """Was OpenAI's envelope on Anthropic's paths: the middleware's last-resort 500 ignored the path."""
    from tollway import pipeline

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"bug holding {MASTER_KEY}")

    monkeypatch.setattr(pipeline, "respond_stream" if stream else "respond", broken)
    response = http.post(path, json={**body, "stream": stream})
    assert response.status_code == 500
    assert MASTER_KEY not in response.text and "RuntimeError" not in response.text
    data = response.json()
    assert data["error"]["message"] and data["error"]["code"] is None
    assert (data.get("type") == "error") == path.endswith("/messages")


# ----------------------------------------------------------------------------- embeddings


@pytest.mark.parametrize("value", [[], "", [""], [[]], ["a"] * 2049])
def test_empty_or_oversized_embedding_input_is_a_400(http: httpx.Client, value: Any) -> None:
    """Was a 200 with no vectors (or 2049 of them): OpenAI refuses empty input and arrays over 2048 items."""
    error = assert_error(http.post("/v1/embeddings", json={"model": "mock-embed", "input": value}), statuses=(400,))
    assert error["param"] == "input"


def test_mock_embeddings_refuse_absurd_dimensions(http: httpx.Client) -> None:
    """Was a hang: the mock built a billion-float vector before answering."""
    response = http.post("/v1/embeddings", json={"model": "mock-embed", "input": "x", "dimensions": 10**9},
                         timeout=10)
    assert assert_error(response, statuses=(400,))["param"] == "dimensions"


def test_odd_but_valid_requests_still_work(http: httpx.Client) -> None:
    """The fixes refuse only what is broken: unicode, NUL and astral text, big integers, duplicate keys."""
    text = "naïve \x00 \u202e 😀 \U0010ffff"
    assert_handled(http.post("/v1/chat/completions", json={**CHAT, "seed": 2**62,
                                                           "messages": [{"role": "user", "content": text}]}))
    huge = "word " * 200_000
    for stream in (False, True):
        assert_handled(http.post("/v1/chat/completions", json={**CHAT, "stream": stream,
                                                               "messages": [{"role": "user", "content": huge}]}))
        assert_handled(http.post("/v1/messages", json={**MESSAGES, "stream": stream,
                                                       "messages": [{"role": "user", "content": huge}]}))
    response = http.post("/v1/embeddings", json={"model": "mock-embed", "input": [text, "b"], "dimensions": 8})
    assert response.status_code == 200 and len(response.json()["data"]) == 2
    assert json.loads(http.post("/v1/messages/count_tokens", json={
        "model": "mock-chat", "messages": [{"role": "user", "content": text}]}).text)["input_tokens"] > 0
