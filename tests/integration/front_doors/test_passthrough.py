"""Same-wire passthrough: what the client sends is what the upstream gets (model aside), and what the
upstream answers is what the client gets, byte for byte; metering still sees the usage."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import SIGNATURE
from tests.integration.front_doors.conftest import BEDROCK_CLAUDE

HEADERS = {"authorization": f"Bearer {MASTER_KEY}", "anthropic-version": "2023-06-01",
           "anthropic-beta": "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"}
PDF = base64.b64encode(b"%PDF-1.4\n%fake\n").decode()

#: a Messages request full of what a translation would lose: unknown fields, server tools, system turns...
RICH: dict[str, Any] = {
    "max_tokens": 64, "top_k": 5, "temperature": 1, "metadata": {"user_id": "u-1"},
    "system": [{"type": "text", "text": "be terse", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "thinking": {"type": "adaptive"}, "output_config": {"effort": "high"},
    "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
    "cache_control": {"type": "ephemeral"}, "x_future_field": {"nested": [1, 2.5, None, "é"]},
    "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
              {"name": "get_weather", "input_schema": {"type": "object"}, "strict": True}],
    "messages": [
        {"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
             "citations": {"enabled": True}},
            {"type": "text", "text": "summarise"}]},
        {"role": "system", "content": "a system turn inside messages"},
        {"role": "user", "content": "go on"},
    ],
}


def _post(gateway: Any, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{gateway.url}/v1/messages", json=body, headers=HEADERS, timeout=30)


def test_messages_body_and_answer_pass_through_unchanged(mixed_gateway, claude_upstream) -> None:  # type: ignore[no-untyped-def]
    response = _post(mixed_gateway, {**RICH, "model": "claude"})
    assert response.status_code == 200, response.text
    assert claude_upstream.requests == [{**RICH, "model": "claude-sonnet-4-5"}]
    assert response.content == claude_upstream.sent[0][0]
    sent = claude_upstream.headers[0]
    assert sent["anthropic-beta"] == HEADERS["anthropic-beta"] and sent["anthropic-version"] == "2023-06-01"
    assert sent["x-api-key"] == "sk-ant-up" and MASTER_KEY not in json.dumps(sent)
    assert response.headers["x-tollway-deployment"] and float(response.headers["x-tollway-response-cost"]) > 0


def test_messages_stream_events_pass_through_unchanged(mixed_gateway, claude_upstream) -> None:  # type: ignore[no-untyped-def]
    response = _post(mixed_gateway, {**RICH, "model": "claude", "stream": True})
    assert response.status_code == 200, response.text
    assert claude_upstream.requests == [{**RICH, "model": "claude-sonnet-4-5", "stream": True}]
    assert response.content == b"".join(claude_upstream.sent[0])
    assert b"signature_delta" in response.content and b"message_stop" in response.content


def test_bedrock_claude_gets_the_native_body(mixed_gateway, bedrock_upstream) -> None:  # type: ignore[no-untyped-def]
    response = _post(mixed_gateway, {**RICH, "model": "bedrock-claude"})
    assert response.status_code == 200, response.text
    (call,) = bedrock_upstream.calls
    assert call.operation == "invoke" and call.model_id == BEDROCK_CLAUDE
    expected = {k: v for k, v in RICH.items()}
    expected["anthropic_version"] = "bedrock-2023-05-31"
    expected["anthropic_beta"] = [*HEADERS["anthropic-beta"].split(","), "context-1m-2025-08-07"]
    assert call.body == expected
    assert call.headers["authorization"].startswith("AWS4-HMAC-SHA256")
    message = response.json()
    assert message["model"] == BEDROCK_CLAUDE and message["content"][0]["signature"] == SIGNATURE


def test_bedrock_claude_stream_relays_each_part_as_an_event(mixed_gateway, bedrock_upstream) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.anthropic_upstream import reply, stream_payloads

    response = _post(mixed_gateway, {**RICH, "model": "bedrock-claude", "stream": True})
    assert response.status_code == 200, response.text
    (call,) = bedrock_upstream.calls
    assert call.operation == "invoke-stream" and "stream" not in call.body and "model" not in call.body
    events = [e for e in response.text.split("\n\n") if e]
    payloads = [json.loads(e.split("data: ", 1)[1]) for e in events]
    expected = stream_payloads(reply({**call.body, "model": BEDROCK_CLAUDE}))
    assert [p["type"] for p in payloads] == [p["type"] for p in expected]
    assert [e.split("\n", 1)[0] for e in events] == [f"event: {p['type']}" for p in expected]
    assert payloads[-1]["amazon-bedrock-invocationMetrics"]["inputTokenCount"] == 11
    assert payloads[:-1] == expected[:-1]


CHAT: dict[str, Any] = {
    "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi there"}],
    "temperature": 0.2, "logprobs": False, "seed": 7, "x_vendor_knob": {"a": [1, None]},
    "prediction": {"type": "content", "content": "hi"}, "verbosity": "low",
}


def test_chat_body_and_answer_pass_through_unchanged(mixed_gateway, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{mixed_gateway.url}/v1/chat/completions", json={**CHAT, "model": "gpt"},
                          headers=HEADERS, timeout=30)
    assert response.status_code == 200, response.text
    assert openai_upstream.requests == [{**CHAT, "model": "gpt-4o"}]
    assert response.content == openai_upstream.sent[0][0]
    assert "anthropic-beta" not in openai_upstream.headers[0]


@pytest.mark.parametrize("include_usage", [True, False])
def test_chat_stream_passes_through_with_the_usage_chunk_as_asked(  # type: ignore[no-untyped-def]
        mixed_gateway, openai_upstream, include_usage: bool) -> None:
    body = {**CHAT, "model": "gpt", "stream": True,
            **({"stream_options": {"include_usage": True}} if include_usage else {})}
    response = httpx.post(f"{mixed_gateway.url}/v1/chat/completions", json=body, headers=HEADERS, timeout=30)
    assert response.status_code == 200, response.text
    assert openai_upstream.requests == [{**body, "model": "gpt-4o", "stream_options": {"include_usage": True}}]
    upstream = openai_upstream.sent[0]
    usage_event, done = upstream[-2], upstream[-1]
    assert done == b"data: [DONE]\n\n" and b'"choices": []' in usage_event
    relayed = response.content
    assert relayed.startswith(b"".join(upstream[:-2])) and relayed.endswith(done)
    tail = relayed[len(b"".join(upstream[:-2])):-len(done)]
    if include_usage:
        usage = json.loads(tail.removeprefix(b"data: "))
        upstream_usage = json.loads(usage_event.removeprefix(b"data: "))["usage"]
        assert usage["usage"].pop("cost") > 0 and usage["usage"] == upstream_usage
    else:
        assert tail == b""


def test_chat_fields_outside_openais_schema_are_named_when_translated(mixed_gateway, claude_upstream) -> None:  # type: ignore[no-untyped-def]
    """Translated for Claude, a field the gateway does not know cannot be carried: a 400 naming it, or dropped."""
    body = {"model": "claude", "messages": [{"role": "user", "content": "hi"}], "x_vendor_knob": 1}
    url = f"{mixed_gateway.url}/v1/chat/completions"
    refused = httpx.post(url, json=body, headers=HEADERS, timeout=30)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "x_vendor_knob"
    assert claude_upstream.requests == []
    dropped = httpx.post(url, json={**body, "drop_params": True}, headers=HEADERS, timeout=30)
    assert dropped.status_code == 200 and "x_vendor_knob" not in claude_upstream.requests[0]
