"""``/v1/messages`` with the official anthropic SDK in front of Claude (Anthropic, Bedrock: same wire)
and GPT (translated), including a fallback from one to the other."""

from __future__ import annotations

import base64
from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_upstream import SIGNATURE
from tests.fakes.openai_upstream import Scripted
from tests.integration.front_doors.conftest import BEDROCK_CLAUDE

READ_TOOL = {"name": "Read", "description": "Read a file",
             "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}},
                              "required": ["file_path"]}}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4\n%fake\n").decode()
USER = [{"role": "user", "content": "please read /etc/motd"}]


@pytest.mark.parametrize("model", ["claude", "bedrock-claude"])
@pytest.mark.parametrize("stream", [False, True])
def test_thinking_and_tool_loop_replays_the_signed_block(  # type: ignore[no-untyped-def]
        claude_client, claude_upstream, bedrock_upstream, model: str, stream: bool) -> None:
    args: dict[str, Any] = {"model": model, "max_tokens": 2048, "tools": [READ_TOOL],
                            "thinking": {"type": "enabled", "budget_tokens": 1024}}
    if stream:
        with claude_client.messages.stream(**args, messages=USER) as events:
            first = events.get_final_message()
    else:
        first = claude_client.messages.create(**args, messages=USER)
    thinking, use = first.content
    assert thinking.type == "thinking" and thinking.signature == SIGNATURE
    assert use.type == "tool_use" and use.input == {"file_path": "/etc/motd"} and first.stop_reason == "tool_use"
    turns = [*USER, {"role": "assistant", "content": first.content},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "hello motd"}]}]
    second = claude_client.messages.create(**args, messages=turns)
    assert second.content[-1].text == "echo: hello motd"
    forged = [*turns[:1], {"role": "assistant", "content": [{**thinking.model_dump(), "signature": ""}, use]},
              *turns[2:]]
    with pytest.raises(anthropic.BadRequestError, match="signature"):
        claude_client.messages.create(**args, messages=forged)


def test_message_start_carries_the_upstream_input_tokens_on_the_same_wire(claude_client) -> None:  # type: ignore[no-untyped-def]
    with claude_client.messages.stream(model="claude", max_tokens=50, messages=USER[:1]) as events:
        start = next(e for e in events if e.type == "message_start")
        final = events.get_final_message()
    assert start.message.usage.input_tokens == 11 and start.message.id == "msg_fake123"
    assert final.usage.output_tokens == 5


def test_server_tool_and_beta_header_reach_anthropic(claude_client, claude_upstream) -> None:  # type: ignore[no-untyped-def]
    tool = {"type": "web_search_20250305", "name": "web_search", "max_uses": 1}
    claude_client.beta.messages.create(model="claude", max_tokens=50, tools=[tool], messages=USER,
                                       betas=["context-management-2025-06-27"])
    assert claude_upstream.requests[0]["tools"] == [tool]
    assert claude_upstream.headers[0]["anthropic-beta"] == "context-management-2025-06-27"


def test_server_tool_is_refused_for_gpt_unless_dropped(claude_client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    tool = {"type": "web_search_20250305", "name": "web_search"}
    with pytest.raises(anthropic.BadRequestError, match="web_search") as info:
        claude_client.messages.create(model="gpt", max_tokens=50, tools=[tool, READ_TOOL], messages=USER)
    assert info.value.body["error"]["param"] == "tools" and openai_upstream.requests == []
    claude_client.messages.create(model="gpt", max_tokens=50, tools=[tool, READ_TOOL], messages=USER,
                                  extra_body={"drop_params": True})
    assert [t["function"]["name"] for t in openai_upstream.requests[0]["tools"]] == ["Read"]


@pytest.mark.parametrize(("field", "value"), [("top_k", 3), ("context_management", {"edits": []})])
def test_fields_gpt_cannot_take_are_named_or_dropped(claude_client, openai_upstream, field: str, value: Any) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anthropic.BadRequestError) as info:
        claude_client.messages.create(model="gpt", max_tokens=50, messages=USER, extra_body={field: value})
    assert info.value.body["error"]["param"] == field
    claude_client.messages.create(model="gpt", max_tokens=50, messages=USER,
                                  extra_body={field: value, "drop_params": True})
    assert field not in openai_upstream.requests[-1]


def test_gpt_gets_system_turns_documents_and_tool_result_images(claude_client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    claude_client.messages.create(model="gpt", max_tokens=50, tools=[READ_TOOL], system="top", messages=[
        {"role": "user", "content": [
            {"type": "document", "title": "spec.pdf",
             "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain notes"}},
            {"type": "text", "text": "read the screenshot"}]},
        {"role": "system", "content": "mid-conversation instruction"},  # type: ignore[list-item]
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Read",
                                           "input": {"file_path": "shot.png"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [
            {"type": "text", "text": "the image:"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]},
    ])
    sent = openai_upstream.requests[0]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "system", "assistant", "tool", "user"]
    assert sent[1]["content"][0] == {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}",
                                                              "filename": "spec.pdf"}}
    assert sent[1]["content"][1] == {"type": "text", "text": "plain notes"}
    assert sent[2]["content"] == "mid-conversation instruction"
    assert sent[4] == {"role": "tool", "tool_call_id": "toolu_1", "content": "the image:"}
    assert sent[5]["content"] == [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]


def test_url_documents_are_a_400_naming_the_block_for_gpt(claude_client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anthropic.BadRequestError) as info:
        claude_client.messages.create(model="gpt", max_tokens=50, messages=[{"role": "user", "content": [
            {"type": "text", "text": "x"},
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}}]}])
    assert info.value.body["error"]["param"] == "messages[0].content[1]"


@pytest.mark.parametrize(("thinking", "effort", "expected"), [
    ({"type": "adaptive"}, "high", "high"), ({"type": "adaptive"}, None, "medium"),
    ({"type": "enabled", "budget_tokens": 1024}, None, "low"), (None, "max", "high"),
])
def test_adaptive_thinking_and_effort_reach_gpt_as_reasoning_effort(  # type: ignore[no-untyped-def]
        claude_client, openai_upstream, thinking: Any, effort: str | None, expected: str) -> None:
    extra: dict[str, Any] = {}
    if thinking:
        extra["thinking"] = thinking
    if effort:
        extra["output_config"] = {"effort": effort}
    claude_client.messages.create(model="gpt", max_tokens=50, messages=USER, extra_body=extra)
    assert openai_upstream.requests[0]["reasoning_effort"] == expected


def test_adaptive_thinking_and_effort_reach_claude_as_sent(claude_client, claude_upstream) -> None:  # type: ignore[no-untyped-def]
    claude_client.messages.create(model="claude", max_tokens=50, messages=USER,
                                  extra_body={"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}})
    sent = claude_upstream.requests[0]
    assert sent["thinking"] == {"type": "adaptive"} and sent["output_config"] == {"effort": "low"}


def test_translated_stream_ids_and_input_tokens(claude_client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    with claude_client.messages.stream(model="gpt", max_tokens=50, messages=USER) as events:
        start = next(e for e in events if e.type == "message_start")
        final = events.get_final_message()
    assert start.message.id == "msg_fake123" and not start.message.id.startswith("msg_msg_")
    assert start.message.usage.input_tokens > 0
    sent = openai_upstream.requests[0]["messages"]
    prompt = sum(len(str(m.get("content", "")).split()) for m in sent) + 7  # the fake's count, 2 of them cached
    assert final.usage.input_tokens == prompt - 2 and final.usage.cache_read_input_tokens == 2


def test_upstream_msg_ids_are_not_prefixed_twice(claude_client, openai_upstream) -> None:  # type: ignore[no-untyped-def]
    completion = {"id": "msg_0123", "object": "chat.completion", "created": 1, "model": "gpt-4o",
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    openai_upstream.queue.append(Scripted(body=completion))
    assert claude_client.messages.create(model="gpt", max_tokens=50, messages=USER).id == "msg_0123"


@pytest.mark.parametrize("stream", [False, True])
def test_fallback_from_claude_to_gpt_before_the_first_byte(  # type: ignore[no-untyped-def]
        claude_client, claude_upstream, openai_upstream, stream: bool) -> None:
    from tests.fakes.anthropic_upstream import Scripted as ClaudeScript

    claude_upstream.queue.append(ClaudeScript(status=529, body={"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}))
    args: dict[str, Any] = {"model": "claude-or-gpt", "max_tokens": 50, "messages": USER, "system": "sys",
                            "extra_headers": {"anthropic-beta": "interleaved-thinking-2025-05-14"}}
    if stream:
        with claude_client.messages.stream(**args) as events:
            message = events.get_final_message()
    else:
        message = claude_client.messages.create(**args)
    assert message.content[0].text.strip() == "echo: please read /etc/motd"
    assert len(claude_upstream.requests) == 1 and claude_upstream.requests[0]["system"] == "sys"
    assert openai_upstream.requests[0]["messages"][0] == {"role": "system", "content": "sys"}


@pytest.mark.parametrize(("model", "source"), [("claude", "anthropic"), ("bedrock-claude", "bedrock"),
                                               ("gpt", "estimate")])
def test_count_tokens_asks_claude_upstreams_and_estimates_otherwise(  # type: ignore[no-untyped-def]
        claude_client, claude_upstream, bedrock_upstream, model: str, source: str) -> None:
    from tests.fakes.anthropic_upstream import count

    body: dict[str, Any] = {"messages": USER, "system": "be brief", "tools": [READ_TOOL]}
    counted = claude_client.messages.count_tokens(model=model, **body)
    if source == "anthropic":
        assert claude_upstream.requests == [{**body, "model": "claude-sonnet-4-5"}]
        assert counted.input_tokens == count(body)
    elif source == "bedrock":
        (call,) = bedrock_upstream.calls
        assert call.operation == "count-tokens" and call.model_id == BEDROCK_CLAUDE
        assert counted.input_tokens == count(body)
    else:
        assert claude_upstream.requests == [] and 0 < counted.input_tokens < count(body) * 4


def test_nova_on_bedrock_gets_converse_with_top_k_and_system_turns(claude_client, bedrock_upstream) -> None:  # type: ignore[no-untyped-def]
    message = claude_client.messages.create(
        model="nova", max_tokens=50, system="top", extra_body={"top_k": 3},
        messages=[{"role": "user", "content": "hi nova"}, {"role": "system", "content": "be kind"},  # type: ignore[list-item]
                  {"role": "user", "content": "again"}])
    (call,) = bedrock_upstream.calls
    assert call.operation == "converse" and call.model_id == "us.amazon.nova-pro-v1:0"
    assert call.body["additionalModelRequestFields"] == {"inferenceConfig": {"topK": 3}}
    assert [s["text"] for s in call.body["system"]] == ["top", "be kind"]
    assert message.content[0].text.startswith("echo:")
