"""What each upstream fault costs: nothing when nothing was relayed, an estimate (told to the client)
when part of a stream was; and no reservation or parallel slot is ever left open."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.faulty_upstream import FaultyUpstream
from tests.integration.reliability.support import (
    assert_nothing_open,
    config,
    counters,
    deployment,
    metered_key,
    with_keys,
)

FAULTS = [("trickle", False), ("trickle", True), ("keepalive", True), ("hang", False), ("reset", False),
          ("reset", True), ("5xx", False), ("bad-retry-after", False), ("json-on-stream", True),
          ("invalid-json", True), ("wrong-shape", False), ("no-events", True), ("huge", False)]


def _post(gw: object, stream: bool) -> httpx.Response:
    return httpx.post(f"{gw.url}/v1/chat/completions", timeout=60,  # type: ignore[attr-defined]
                      headers={"authorization": "Bearer sk-f"},
                      json={"model": "m", "stream": stream, "messages": [{"role": "user", "content": "hi"}]})


def test_failed_calls_cost_nothing_and_leave_nothing_open(store_backend, start_gateway, faulty: FaultyUpstream,  # type: ignore[no-untyped-def]
                                                          uid, monkeypatch) -> None:
    from tollway.providers import transport

    monkeypatch.setattr(transport, "MAX_RESPONSE_BYTES", 1024 * 1024)
    for mode, stream in FAULTS:
        gw = with_keys(start_gateway(config(deployment(faulty, mode, timeout=1.5, stream_timeout=1))),
                       {"sk-f": metered_key(uid)})
        response = _post(gw, stream)
        assert response.status_code in (429, 502, 504), (mode, stream, response.status_code)
    state = counters(uid)
    assert_nothing_open(state)
    assert state["key_spent"] == 0 and state["team_spent"] == 0


def test_a_partly_relayed_stream_is_charged_what_the_client_was_told(store_backend, start_gateway, faulty,  # type: ignore[no-untyped-def]
                                                                     uid) -> None:
    gw = with_keys(start_gateway(config(deployment(faulty, "first-then-keepalive", timeout=30, stream_timeout=1))),
                   {"sk-f": metered_key(uid)})
    response = _post(gw, True)
    assert response.status_code == 200
    events = [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]
    import json

    error = json.loads(events[-1])["error"]
    told = float(error["message"].split("was charged ")[1].split(" USD")[0])
    state = counters(uid)
    assert_nothing_open(state)
    assert float(state["key_spent"]) == pytest.approx(told) and told > 0
