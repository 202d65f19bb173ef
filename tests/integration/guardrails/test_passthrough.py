"""Guardrails on the same-wire passthrough path, through the official SDKs and raw HTTP: the client's body is
checked and masked in its own format before it goes upstream as sent, the upstream's own answer (body or SSE
events) is checked and restored before it is relayed; a fallback that translates the request still sends the
masked text; ``/v1/responses`` behaves the same passed through (OpenAI) and translated (Claude)."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.guardrails.conftest import SECRET_EMAIL, guardrail

RESTORE = {"guardrails": ["pii-restore"]}
#: the client's text: an email the upstream must never see
ASK = f"reply to {SECRET_EMAIL} please"
MASKED = "reply to [EMAIL_1] please"


@pytest.fixture
def gateway(start_gateway: Any, openai_upstream: Any, claude_upstream: Any) -> Any:
    claude = {"model": "anthropic/claude-sonnet-4-5", "api_base": claude_upstream.url, "api_key": "sk-ant-up"}
    gpt = {"model": "openai/gpt-4o", "api_base": openai_upstream.base_url, "api_key": "sk-up"}
    return start_gateway({
        "model_list": [
            {"model_name": "claude", "litellm_params": claude},
            {"model_name": "claude-or-gpt", "litellm_params": claude},
            {"model_name": "gpt", "litellm_params": gpt},
        ],
        "router_settings": {"num_retries": 0, "fallbacks": [{"claude-or-gpt": ["gpt"]}]},
        "guardrails": [
            guardrail("pii-block", "pii", action="block", default_on=True, entities=["CREDIT_CARD"]),
            guardrail("pii-restore", "pii", action="mask", entities=["EMAIL_ADDRESS"], output_parse_pii=True),
            guardrail("falcon-out", "keywords", mode="post_call", keywords=["project falcon"]),
        ],
    })


@pytest.fixture
def claude_client(gateway: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)


@pytest.fixture
def client(gateway: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def _post(gateway: Any, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{gateway.url}{path}", json=body, timeout=30,
                      headers={"authorization": f"Bearer {MASTER_KEY}", "anthropic-version": "2023-06-01"})


# ----------------------------------------------------------------------------- /v1/messages -> Anthropic


@pytest.mark.parametrize("stream", [False, True])
def test_messages_mask_goes_upstream_and_the_answer_is_restored(claude_client: anthropic.Anthropic,
                                                                claude_upstream: Any, stream: bool) -> None:
    args: dict[str, Any] = {"model": "claude", "max_tokens": 50, "messages": _user(ASK), "extra_body": RESTORE,
                            "system": [{"type": "text", "text": f"the user is {SECRET_EMAIL}"}]}
    if stream:
        with claude_client.messages.stream(**args) as events:
            message = events.get_final_message()
    else:
        message = claude_client.messages.create(**args)
    (sent,) = claude_upstream.requests
    assert sent["messages"] == _user(MASKED) and sent["system"][0]["text"] == "the user is [EMAIL_1]"
    assert "guardrails" not in sent and SECRET_EMAIL not in json.dumps(sent)
    assert message.content[0].type == "text" and message.content[0].text == f"echo: {ASK}"


def test_messages_answer_bytes_are_relayed_unchanged_when_nothing_is_rewritten(gateway: Any,
                                                                               claude_upstream: Any) -> None:
    response = _post(gateway, "/v1/messages", {"model": "claude", "max_tokens": 50, "messages": _user("hello")})
    assert response.status_code == 200, response.text
    assert response.content == claude_upstream.sent[0][0]


def test_messages_block_before_upstream_is_anthropics_400(gateway: Any, claude_upstream: Any) -> None:
    response = _post(gateway, "/v1/messages", {"model": "claude", "max_tokens": 50,
                                               "messages": _user("card 4111 1111 1111 1111")})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "guardrail_violation" and body["error"]["guardrail"] == "pii-block"
    assert claude_upstream.requests == [] and "4111" not in response.text


def test_unknown_model_is_a_404_before_guardrails_run(gateway: Any) -> None:
    response = _post(gateway, "/v1/messages", {"model": "nope", "max_tokens": 50,
                                               "messages": _user("card 4111 1111 1111 1111")})
    assert response.status_code == 404


@pytest.mark.parametrize("stream", [False, True])
def test_messages_answer_blocked(gateway: Any, claude_upstream: Any, stream: bool) -> None:
    response = _post(gateway, "/v1/messages", {"model": "claude", "max_tokens": 50, "stream": stream,
                                               "messages": _user("tell me about Project Falcon"),
                                               "guardrails": ["falcon-out"]})
    assert len(claude_upstream.requests) == 1
    assert b"Falcon" not in response.content
    if not stream:
        assert response.status_code == 400
        assert response.json()["error"]["guardrail"] == "falcon-out"
        return
    assert response.status_code == 200
    events = response.text.split("\n\n")
    assert events[0].startswith("event: message_start")
    last = [e for e in events if e.strip()][-1]
    assert last.startswith("event: error")
    error = json.loads(last.split("data: ", 1)[1])
    assert error["type"] == "error" and error["error"]["code"] == "guardrail_violation"


@pytest.mark.parametrize("stream", [False, True])
def test_messages_fallback_to_a_translated_deployment_still_sends_the_masked_text(
        claude_client: anthropic.Anthropic, claude_upstream: Any, openai_upstream: Any, stream: bool) -> None:
    from tests.fakes.anthropic_upstream import Scripted

    claude_upstream.queue.append(Scripted(status=529, body={"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}))
    args: dict[str, Any] = {"model": "claude-or-gpt", "max_tokens": 50, "messages": _user(ASK),
                            "system": f"the user is {SECRET_EMAIL}", "extra_body": RESTORE}
    if stream:
        with claude_client.messages.stream(**args) as events:
            message = events.get_final_message()
    else:
        message = claude_client.messages.create(**args)
    assert claude_upstream.requests[0]["messages"] == _user(MASKED)
    (sent,) = openai_upstream.requests
    assert sent["messages"][0] == {"role": "system", "content": "the user is [EMAIL_1]"}
    assert json.dumps(sent["messages"][1:]).count(MASKED) == 1
    assert "metadata" not in sent and SECRET_EMAIL not in json.dumps(sent)
    assert message.content[0].type == "text" and message.content[0].text.strip() == f"echo: {ASK}"


# ----------------------------------------------------------------------------- /v1/chat/completions -> OpenAI


@pytest.mark.parametrize("stream", [False, True])
def test_chat_mask_goes_upstream_and_the_answer_is_restored(client: openai.OpenAI, openai_upstream: Any,
                                                            stream: bool) -> None:
    if stream:
        chunks = client.chat.completions.create(model="gpt", messages=_user(ASK), extra_body=RESTORE, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        answer = client.chat.completions.create(model="gpt", messages=_user(ASK), extra_body=RESTORE)
        text = answer.choices[0].message.content or ""
    (sent,) = openai_upstream.requests
    assert sent["messages"] == _user(MASKED) and "guardrails" not in sent
    assert text.strip() == f"echo: {ASK}"


def test_chat_block_before_upstream(client: openai.OpenAI, openai_upstream: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt", messages=_user("card 4111 1111 1111 1111"))
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "guardrail_violation"
    assert openai_upstream.requests == []


@pytest.mark.parametrize("stream", [False, True])
def test_chat_answer_blocked(gateway: Any, openai_upstream: Any, stream: bool) -> None:
    response = _post(gateway, "/v1/chat/completions", {"model": "gpt", "stream": stream, "guardrails": ["falcon-out"],
                                                       "messages": _user("tell me about Project Falcon")})
    assert len(openai_upstream.requests) == 1 and b"Falcon" not in response.content
    if not stream:
        assert response.status_code == 400 and response.json()["error"]["guardrail"] == "falcon-out"
        return
    assert response.status_code == 200
    events = [e for e in response.text.split("\n\n") if e.strip()]
    error = json.loads(events[-1].removeprefix("data: "))
    assert error["error"]["code"] == "guardrail_violation"


# ----------------------------------------------------------------------------- /v1/responses, both paths


@pytest.mark.parametrize("model", ["gpt", "claude"])
@pytest.mark.parametrize("stream", [False, True])
def test_responses_mask_and_restore(client: openai.OpenAI, openai_upstream: Any, claude_upstream: Any,
                                    model: str, stream: bool) -> None:
    args: dict[str, Any] = {"model": model, "input": ASK, "instructions": f"the user is {SECRET_EMAIL}",
                            "extra_body": RESTORE, "store": False}
    if stream:
        with client.responses.stream(**args) as events:
            text = events.get_final_response().output_text
    else:
        text = client.responses.create(**args).output_text
    upstream = openai_upstream if model == "gpt" else claude_upstream
    (sent,) = upstream.requests
    assert SECRET_EMAIL not in json.dumps(sent) and "[EMAIL_1]" in json.dumps(sent)
    assert text.strip() == f"echo: {ASK}"


@pytest.mark.parametrize("model", ["gpt", "claude"])
def test_responses_block_before_upstream(client: openai.OpenAI, openai_upstream: Any, claude_upstream: Any,
                                         model: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=model, input="card 4111 1111 1111 1111", store=False)
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "guardrail_violation"
    assert openai_upstream.requests == [] and claude_upstream.requests == []


@pytest.mark.parametrize("model", ["gpt", "claude"])
@pytest.mark.parametrize("stream", [False, True])
def test_responses_answer_blocked(gateway: Any, model: str, stream: bool) -> None:
    response = _post(gateway, "/v1/responses", {"model": model, "stream": stream, "store": False,
                                                "input": "tell me about Project Falcon", "guardrails": ["falcon-out"]})
    assert b"Falcon" not in response.content
    if not stream:
        assert response.status_code == 400 and response.json()["error"]["guardrail"] == "falcon-out"
        return
    events = [e for e in response.text.split("\n\n") if e.strip()]
    last = json.loads(events[-1].split("data: ", 1)[1])
    assert last["type"] == "response.failed"  # the Responses API's own end of a failed stream
    assert "guardrail 'falcon-out'" in last["response"]["error"]["message"]
