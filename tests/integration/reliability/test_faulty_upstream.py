"""Every upstream fault ends in a bounded time with a clean status, through the official SDKs.

Latency ceilings are generous (the configured timeout plus slack): they prove a call is bounded,
not how fast it is.
"""

from __future__ import annotations

import time
from typing import Any

import anthropic
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.faulty_upstream import FaultyUpstream
from tests.integration.reliability.support import config, deployment
from tollway.providers import transport

SLACK = 8.0
MESSAGES: list[Any] = [{"role": "user", "content": "how are you?"}]


def _client(gw: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.base_url, api_key=MASTER_KEY, max_retries=0, timeout=60)


def _chat(gw: Any, *, stream: bool = False) -> Any:
    client = _client(gw)
    if stream:
        return "".join(c.choices[0].delta.content or "" for c in
                       client.chat.completions.create(model="m", messages=MESSAGES, stream=True) if c.choices)
    return client.chat.completions.create(model="m", messages=MESSAGES)


@pytest.mark.parametrize(("mode", "stream", "status"), [
    ("trickle", False, 504), ("trickle", True, 504), ("keepalive", True, 504), ("hang", False, 504),
    ("hang", True, 504), ("reset", False, 502), ("reset", True, 502), ("5xx", False, 502),
    ("bad-retry-after", False, 429), ("bad-retry-after", True, 429), ("json-on-stream", True, 502),
    ("invalid-json", True, 502), ("wrong-shape", False, 502), ("wrong-shape", True, 502),
    ("no-events", True, 502),
])
def test_fault_before_the_first_byte_is_a_clean_status(start_gateway, faulty: FaultyUpstream, mode: str,
                                                       stream: bool, status: int) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway(config(deployment(faulty, mode, timeout=1.5, stream_timeout=1)))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as raised:
        _chat(gw, stream=stream)
    elapsed = time.monotonic() - started
    assert raised.value.status_code == status, raised.value.response.text
    error = raised.value.response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and "Traceback" not in error["message"]
    assert elapsed < 1.5 + SLACK


def test_a_stream_that_is_not_a_stream_falls_back_to_a_healthy_sibling(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    for mode in ("json-on-stream", "invalid-json", "no-events", "wrong-shape", "bad-retry-after", "reset"):
        # a sibling in the group (the faulty one weighted to be picked first) and a fallback group
        sibling = start_gateway(config(deployment(faulty, mode, weight=1_000_000), deployment(faulty, "ok", weight=1),
                                       num_retries=1))
        fallback = start_gateway(config(deployment(faulty, mode), deployment(faulty, "ok", name="backup"),
                                        fallbacks=[{"m": ["backup"]}]))
        for gw in (sibling, fallback):
            before = faulty.hits[mode]
            assert _chat(gw, stream=True) == "fine thanks", mode
            assert faulty.hits[mode] == before + 1, mode


def test_keepalives_and_trickles_do_not_extend_a_stream_past_its_total(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    """One chunk, then ``: ping`` every 0.2 s: the gap between chunks (1 s) ends it with an error event."""
    gw = start_gateway(config(deployment(faulty, "first-then-keepalive", timeout=30, stream_timeout=1)))
    started = time.monotonic()
    stream = _client(gw).chat.completions.create(model="m", messages=MESSAGES, stream=True)
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content if chunk.choices else None)
    assert received == ["partial answer "]
    assert "nothing for 1s" in raised.value.message
    assert time.monotonic() - started < 1 + SLACK
    # the total: a gap allowance longer than the whole call still ends at ``timeout``
    gw = start_gateway(config(deployment(faulty, "first-then-keepalive", timeout=1.5, stream_timeout=60)))
    started = time.monotonic()
    with pytest.raises(openai.APIError) as raised:
        list(_client(gw).chat.completions.create(model="m", messages=MESSAGES, stream=True))
    assert "within 1.5s" in raised.value.message
    assert time.monotonic() - started < 1.5 + SLACK


def test_retries_and_fallbacks_share_the_request_budget(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway(config(deployment(faulty, "hang", name="m"), deployment(faulty, "hang", name="backup"),
                              timeout=2, num_retries=3, fallbacks=[{"m": ["backup"]}]))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as raised:
        _chat(gw)
    assert raised.value.status_code == 504
    assert time.monotonic() - started < 2 + SLACK  # not 2 s x 4 attempts x 2 groups


def test_truncated_stream_after_the_first_byte_ends_with_an_error_event(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway(config(deployment(faulty, "truncated")))
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in _client(gw).chat.completions.create(model="m", messages=MESSAGES, stream=True):
            received.append(chunk.choices[0].delta.content if chunk.choices else None)
    assert received == ["half an "]
    assert "closed the stream in the middle of an event" in raised.value.message  # not relayed half-read
    # the client is told what the part it received was charged (here: estimated from the text relayed)
    assert "the part of the answer relayed before the failure was charged" in raised.value.message


@pytest.mark.parametrize(("mode", "stream", "cap", "what"), [
    ("huge", False, "MAX_RESPONSE_BYTES", "response body"),
    ("huge-event", True, "MAX_EVENT_BYTES", "stream event"),
    ("huge-event", True, "MAX_STREAM_BYTES", "stream"),
])
def test_upstream_bodies_past_the_cap_are_refused_while_reading(start_gateway, faulty, monkeypatch, mode, stream,  # type: ignore[no-untyped-def]
                                                                cap, what) -> None:
    monkeypatch.setattr(transport, cap, 1024 * 1024)
    gw = start_gateway(config(deployment(faulty, mode)))
    with pytest.raises(openai.APIStatusError) as raised:
        _chat(gw, stream=stream)
    assert raised.value.status_code == 502
    error = raised.value.response.json()["error"]
    assert error["code"] == "upstream_response_too_large"
    assert f"{what} exceeds the gateway's cap of 1048576 bytes" in error["message"]


def test_messages_front_door_survives_an_unreadable_retry_after(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway(config(deployment(faulty, "bad-retry-after")))
    client = anthropic.Anthropic(base_url=gw.url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    gw = start_gateway(config(deployment(faulty, "bad-retry-after"), deployment(faulty, "ok"), num_retries=2))
    for _ in range(3):
        answer = client.with_options(base_url=gw.url).messages.create(
            model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        assert answer.content[0].text == "fine thanks"  # type: ignore[union-attr]


def test_an_http_date_retry_after_is_honoured_up_to_the_cap(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway(config(deployment(faulty, "date-retry-after")))
    with pytest.raises(openai.RateLimitError) as raised:
        _chat(gw)
    assert 0 <= int(raised.value.response.headers["retry-after"]) <= 2
