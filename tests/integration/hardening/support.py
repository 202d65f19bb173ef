"""What every hardening test checks on every answer, and the strategies that generate bad input.

The standard (from the developers' guide): bad input gets a clear error and nothing is lost.
Every error is an OpenAI-shaped JSON error with the right status code (on Anthropic's paths,
Anthropic's envelope, which also carries OpenAI's fields); no stack traces, no 500 for a client
mistake; secrets never appear in errors.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import MASTER_KEY

UPSTREAM_KEY = "sk-upstream-hardening-secret-0123456789"
SECRETS = (MASTER_KEY, UPSTREAM_KEY)
#: text that only a leaked stack trace or repr of an exception would contain
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages", ".py\", line")

#: one gateway per test function, many examples against it; no wall-clock deadline on a shared box.
#: Derandomized so CI runs are repeatable; TOLLWAY_FUZZ_RANDOM=1 explores new examples locally.
FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
                database=None, derandomize=os.environ.get("TOLLWAY_FUZZ_RANDOM") != "1")
FUZZ_SMALL = settings(FUZZ, max_examples=30)

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
EMBED_PATHS = ("/v1/embeddings", "/embeddings")
MESSAGE_PATHS = ("/v1/messages", "/v1/messages/count_tokens", "/messages")
POST_PATHS = CHAT_PATHS + EMBED_PATHS + MESSAGE_PATHS


def gateway_config(upstream_base_url: str) -> dict[str, Any]:
    """Offline ``mock/`` deployments plus one ``openai/`` deployment on the fake upstream."""
    return {"model_list": [
        {"model_name": "mock-chat", "litellm_params": {"model": "mock/chat-model"}},
        {"model_name": "mock-embed", "litellm_params": {"model": "mock/embed-model"}},
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_base": upstream_base_url,
                                                 "api_key": UPSTREAM_KEY}},
    ]}


def client(base_url: str, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30,
                        headers={"authorization": f"Bearer {MASTER_KEY}", **headers})


def is_anthropic(path: str) -> bool:
    return path.rstrip("/").endswith(("/messages", "/messages/count_tokens"))


def assert_no_leak(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, "a secret leaked into a response"
    for marker in TRACE_MARKERS:
        assert marker not in text, f"a stack trace leaked into a response: {text[:300]!r}"


def assert_error(response: httpx.Response, *, statuses: tuple[int, ...] | None = None) -> dict[str, Any]:
    """A client mistake: a 4xx, in the right envelope for the path, with a message; returns the inner error."""
    text = response.text
    assert_no_leak(text)
    assert 400 <= response.status_code < 500, f"{response.status_code} for a client mistake: {text[:300]}"
    if statuses is not None:
        assert response.status_code in statuses, f"{response.status_code} not in {statuses}: {text[:300]}"
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = json.loads(text)
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    error = body["error"]
    assert isinstance(error.get("message"), str) and error["message"].strip(), body
    assert isinstance(error.get("type"), str) and error["type"], body
    assert {"param", "code"} <= error.keys(), body  # OpenAI's fields, on both envelopes
    if is_anthropic(response.request.url.path):
        assert body.get("type") == "error", body
    return error  # type: ignore[no-any-return]


def assert_handled(response: httpx.Response) -> None:
    """A request that may or may not be valid: a success, or a client error done properly; never a 5xx."""
    if response.status_code >= 400:
        assert_error(response)
        return
    assert response.status_code == 200, response.text[:300]
    text = response.text
    assert_no_leak(text)
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        assert_sse_complete(text, anthropic=is_anthropic(response.request.url.path))
    else:
        json.loads(text)


def assert_sse_complete(text: str, *, anthropic: bool) -> None:
    """A stream either ends properly or carries an in-band error; every data line is JSON."""
    data = [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]
    assert data, text[:300]
    events = [json.loads(d) for d in data if d != "[DONE]"]
    if anthropic:
        assert events[-1]["type"] in ("message_stop", "error"), events[-1]
        assert not any(e["type"] == "error" and e["error"]["type"] == "api_error" for e in events), events[-1]
    else:
        assert data[-1] == "[DONE]" or "error" in events[-1], data[-1]
        assert not any("error" in e and e["error"].get("type") == "internal_error" for e in events), events[-1]


# ----------------------------------------------------------------------------- strategies

#: strings that have broken parsers before: empty, NUL, control, RTL, emoji, astral, long
odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "a\x00b", "\u202e\u200b", "😀" * 3, "\U0010ffff", "\r\n\t", "\\u0000", "null",
                     "{}", "<script>", "' OR 1=1 --", "%s%n", "x" * 5000]),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), odd_text)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def wrong_type(expected: tuple[type, ...]) -> st.SearchStrategy[Any]:
    """A JSON value whose Python type is none of ``expected`` (bools are not ints here)."""
    def ok(value: Any) -> bool:
        kinds = {type(value)}
        if isinstance(value, bool):
            kinds = {bool}
        if isinstance(value, float) and value.is_integer():  # 1.0 validates as an int in lax mode
            kinds.add(int)
        return not (kinds & set(expected))
    return json_values.filter(ok)
