"""The same upstream faults on the translated path: the Anthropic SDK on ``/v1/messages`` in front of an
OpenAI-wire deployment, so each call goes through ``chat``/``chat_stream`` (test_faulty_upstream.py covers
the native path, where the deployment speaks the client's format). Both paths end every fault in a
bounded time with a clean status, or with an error event once the stream has started.
"""

from __future__ import annotations

import time
from typing import Any

import anthropic
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.faulty_upstream import FaultyUpstream
from tests.integration.reliability.support import config, deployment

SLACK = 8.0
MESSAGES: list[Any] = [{"role": "user", "content": "how are you?"}]


def _client(gw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=MASTER_KEY, max_retries=0, timeout=60)


def _ask(gw: Any, *, stream: bool) -> str:
    client = _client(gw)
    if not stream:
        answer = client.messages.create(model="m", max_tokens=10, messages=MESSAGES)
        return "".join(getattr(block, "text", "") for block in answer.content)
    with client.messages.stream(model="m", max_tokens=10, messages=MESSAGES) as events:
        return "".join(events.text_stream)


@pytest.mark.parametrize(("mode", "stream", "status"), [
    ("trickle", True, 504), ("keepalive", True, 504), ("hang", False, 504), ("json-on-stream", True, 502),
    ("invalid-json", True, 502), ("wrong-shape", False, 502), ("no-events", True, 502),
])
def test_fault_before_the_first_byte_is_a_clean_status(start_gateway, faulty: FaultyUpstream, mode: str,
                                                       stream: bool, status: int) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway(config(deployment(faulty, mode, timeout=1.5, stream_timeout=1)))
    started = time.monotonic()
    with pytest.raises(anthropic.APIStatusError) as raised:
        _ask(gw, stream=stream)
    assert raised.value.status_code == status, raised.value.response.text
    body = raised.value.response.json()
    assert body["type"] == "error" and set(body["error"]) >= {"type", "message"}
    assert time.monotonic() - started < 1.5 + SLACK


def test_a_non_stream_answer_to_a_stream_request_falls_back(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway(config(deployment(faulty, "json-on-stream"), deployment(faulty, "ok", name="backup"),
                              fallbacks=[{"m": ["backup"]}]))
    before = faulty.hits["json-on-stream"]
    assert _ask(gw, stream=True) == "fine thanks"
    assert faulty.hits["json-on-stream"] == before + 1


def test_keepalives_do_not_extend_a_translated_stream(start_gateway, faulty) -> None:  # type: ignore[no-untyped-def]
    """One chunk, then pings: the gap (1 s) ends the stream with an error event; a gap longer than the
    whole call still ends at the total ``timeout``."""
    for timeout, gap, said in ((30, 1, "nothing for 1s"), (1.5, 60, "within 1.5s")):
        gw = start_gateway(config(deployment(faulty, "first-then-keepalive", timeout=timeout, stream_timeout=gap)))
        started = time.monotonic()
        received: list[str] = []
        with (pytest.raises(anthropic.APIError) as raised,
              _client(gw).messages.stream(model="m", max_tokens=10, messages=MESSAGES) as events):
            received.extend(events.text_stream)  # the error event arrives mid-iteration
        assert received == ["partial answer "]
        assert said in str(raised.value)
        assert time.monotonic() - started < min(timeout, gap) + SLACK
