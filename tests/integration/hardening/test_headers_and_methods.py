"""Odd headers, unknown methods and paths, the health probes, and secrets kept out of answers and logs."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import Scripted
from tests.integration.hardening.support import (
    FUZZ,
    POST_PATHS,
    UPSTREAM_KEY,
    assert_error,
    assert_handled,
    assert_no_leak,
    is_anthropic,
)

CHAT = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
GET_PATHS = ("/v1/models", "/models", "/v1/models/mock-chat", "/models/gpt", "/health/liveliness",
             "/health/liveness", "/health/readiness", "/health")
#: what HTTP/1.1 allows in a header value (visible ASCII, spaces, and obs-text bytes 0x80-0xFF)
header_bytes = st.binary(min_size=1, max_size=8192).map(
    lambda b: bytes(c for c in b if 0x20 <= c != 0x7F).strip() or b"x")


@FUZZ
@given(value=header_bytes, name=st.sampled_from(["authorization", "x-api-key", "x-tollway-api-key"]),
       path=st.sampled_from((*POST_PATHS, "/v1/models", "/health")), scheme=st.sampled_from([b"Bearer ", b""]))
def test_garbage_credentials(gateway: Any, value: bytes, name: str, path: str, scheme: bytes) -> None:
    """Long, binary or non-ASCII keys are a 401 in the path's envelope; the key is never echoed back."""
    with httpx.Client(base_url=gateway.url, timeout=30) as c:
        response = c.request("GET" if path in ("/v1/models", "/health") else "POST", path,
                             headers={name: scheme + value}, json=CHAT)
    error = assert_error(response, statuses=(401,))
    if len(value) > 12:
        assert value.decode("latin-1") not in response.text
    assert error["type"] == "authentication_error"


@FUZZ
@given(request_id=st.one_of(header_bytes, st.text(min_size=1, max_size=300).map(
           lambda t: bytes(c for c in t.encode("utf-8") if 0x20 <= c != 0x7F).strip() or b"x")),
       path=st.sampled_from(POST_PATHS))
def test_odd_request_ids(http: httpx.Client, request_id: bytes, path: str) -> None:
    """An unsafe x-request-id is replaced by one of ours; a safe one is echoed; the request is still served."""
    response = http.post(path, json=CHAT, headers={"x-request-id": request_id})
    assert_handled(response)
    echoed = response.headers["x-request-id"]
    assert echoed == request_id.decode("latin-1") or echoed.startswith("req-")
    assert echoed.isascii() and len(echoed) <= 128


@FUZZ
@given(path=st.sampled_from(POST_PATHS + GET_PATHS), method=st.sampled_from(["PUT", "PATCH", "DELETE", "OPTIONS",
                                                                            "FOO", "GET", "POST"]))
def test_unknown_methods_on_known_paths(http: httpx.Client, path: str, method: str) -> None:
    allowed = "GET" if path in GET_PATHS else "POST"
    if method == allowed:
        return
    response = http.request(method, path)
    assert_error(response, statuses=(405,))
    if is_anthropic(path):
        assert response.json()["error"]["type"] == "invalid_request_error"


@FUZZ
@given(suffix=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#%/\\"),
                     min_size=1, max_size=30))
def test_unknown_paths_and_models(http: httpx.Client, suffix: str) -> None:
    assert_error(http.get(f"/v1/nope/{suffix}"), statuses=(404,))
    assert_error(http.get(f"/v1/models/x-{suffix}"), statuses=(404,))
    assert_error(http.post("/v1/chat/completions", json={**CHAT, "model": f"x-{suffix}"}), statuses=(404,))


def test_health_probes(http: httpx.Client, gateway: Any) -> None:
    assert http.get("/health/liveliness").json() == {"status": "ok"}
    assert http.get("/health/readiness").json()["status"] == "ready"
    with httpx.Client(base_url=gateway.url, timeout=30) as anonymous:
        assert_error(anonymous.get("/health"), statuses=(401,))
        assert_error(anonymous.get("/v1/models"), statuses=(401,))


@pytest.mark.parametrize("status", [401, 403, 400, 429, 500])
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_errors_that_quote_our_key_do_not_leak_it(fresh_http: httpx.Client, openai_upstream: Any,
                                                           caplog: pytest.LogCaptureFixture, status: int,
                                                           stream: bool) -> None:
    """Some upstreams quote the key they were sent; neither the answer nor our logs may repeat it."""
    message = f"Incorrect API key provided: {UPSTREAM_KEY}."
    openai_upstream.queue.extend([Scripted(status=status, body={"error": {"message": message, "type": "x"}})] * 5)
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="tollway"):
        response = fresh_http.post("/v1/chat/completions", json={**CHAT, "model": "gpt", "stream": stream})
    assert response.status_code >= 400
    assert UPSTREAM_KEY not in caplog.text
    assert_no_leak(response.text)


def test_keys_stay_out_of_the_logs(http: httpx.Client, gateway: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Client errors, successes and unknown keys are all logged; the keys themselves never are."""
    unknown = "sk-unknown-key-0123456789abcdef"
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="tollway"):
        for path in POST_PATHS:
            assert_error(http.post(path, content=b"{nope"))
            assert_error(http.post(path, json={"model": "nope", "messages": [], "input": []}))
            assert_handled(http.post(path, json={**CHAT, "input": "x", "model": "mock-embed" if "embed" in path
                                                 else "mock-chat"}))
            with httpx.Client(base_url=gateway.url, timeout=30) as c:
                assert_error(c.post(path, json=CHAT, headers={"authorization": f"Bearer {unknown}"}), statuses=(401,))
                assert_error(c.post(path, json=CHAT, headers={"x-api-key": unknown}), statuses=(401,))
    logged = [r for r in caplog.records if r.name == "tollway" and r.getMessage() == "request"]
    assert len(logged) >= 4 * len(POST_PATHS), "the request log is missing: the check below would be vacuous"
    for secret in (MASTER_KEY, UPSTREAM_KEY, unknown):
        assert secret not in caplog.text
