"""Post-call guardrails on streamed answers: blocked mid-stream with the client's own error event
(OpenAI and Anthropic SDKs), nothing of the match sent; placeholders restored across chunk boundaries."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.guardrails.conftest import LONG_REPLY, SECRET_EMAIL, guardrail, mock


@pytest.fixture
def gateway(start_gateway: Any) -> Any:
    return start_gateway({
        "model_list": [mock("leaky", LONG_REPLY), mock("echo")],
        "guardrails": [
            guardrail("pii-out", "pii", mode="post_call", action="block", stream_hold_back_chars=32),
            guardrail("restore", "pii", action="mask", output_parse_pii=True, stream_hold_back_chars=32),
            guardrail("long-answers", "limits", mode="post_call", max_response_chars=120),
        ],
    })


def test_openai_stream_ends_with_an_error_event_before_the_email(gateway: Any) -> None:
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    stream = client.chat.completions.create(model="leaky", messages=[{"role": "user", "content": "summary?"}],
                                            stream=True, extra_body={"guardrails": ["pii-out"]})
    received = ""
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            received += "".join(c.delta.content or "" for c in chunk.choices)
    assert caught.value.code == "guardrail_violation"
    assert caught.value.body["guardrail"] == "pii-out"  # type: ignore[index]
    assert caught.value.body["category"] == "EMAIL_ADDRESS"  # type: ignore[index]
    before = LONG_REPLY.index(SECRET_EMAIL)
    assert len(received) > 100, "text before the match streams out (mid-stream, not a pre-check)"
    assert LONG_REPLY.startswith(received) and len(received) <= before
    assert "bob" not in received


def test_anthropic_stream_ends_with_an_error_event_before_the_email(gateway: Any) -> None:
    client = anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
    received = ""
    with pytest.raises(anthropic.APIStatusError) as caught, client.messages.stream(
            model="leaky", max_tokens=500, messages=[{"role": "user", "content": "go"}],
            extra_body={"guardrails": ["pii-out"]}) as stream:
        for text in stream.text_stream:
            received += text
    body = caught.value.body
    assert isinstance(body, dict) and body["error"]["code"] == "guardrail_violation"
    assert body["error"]["category"] == "EMAIL_ADDRESS"
    assert len(received) > 100 and LONG_REPLY.startswith(received) and "bob" not in received


def test_streamed_answer_gets_the_originals_back(gateway: Any) -> None:
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    stream = client.chat.completions.create(
        model="echo", stream=True, extra_body={"guardrails": ["restore"]},
        messages=[{"role": "user", "content": f"mail {SECRET_EMAIL} and call 415-555-0100 today"}])
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == f"This is a mock response from Tollway. You said: mail {SECRET_EMAIL} and call 415-555-0100 today"


def test_response_character_limit_stops_a_stream(gateway: Any) -> None:
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    stream = client.chat.completions.create(model="leaky", messages=[{"role": "user", "content": "go"}],
                                            stream=True, extra_body={"guardrails": ["long-answers"]})
    received = ""
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            received += "".join(c.delta.content or "" for c in chunk.choices)
    assert caught.value.body["category"] == "max_response_chars"  # type: ignore[index]
    assert len(received) <= 120
