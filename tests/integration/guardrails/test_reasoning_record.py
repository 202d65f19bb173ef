"""What the spend log records of guardrails on reasoning (against a real DynamoDB endpoint on loopback): a
mask that a signed thinking block cannot take is recorded as ``log``, the answer's own mask as ``mask``, and
a block in reasoning fails the request with the block on its log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anthropic
import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import SIGNATURE
from tests.fakes.openai_upstream import Scripted
from tests.integration.guardrails.conftest import SECRET_EMAIL, guardrail

ADMIN = {"authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture
def gateway(start_gateway: Any, table_prefix: str, claude_upstream: Any) -> Any:
    return start_gateway({
        "model_list": [{"model_name": "claude", "litellm_params": {
            "model": "anthropic/claude-sonnet-4-5", "api_base": claude_upstream.url, "api_key": "sk-ant-up"}}],
        "guardrails": [
            guardrail("pii-out", "pii", mode="post_call", action="mask", entities=["EMAIL_ADDRESS"]),
            guardrail("falcon-out", "keywords", mode="post_call", keywords=["project falcon"]),
        ],
    })


def _thinking(thought: str) -> dict[str, Any]:
    return {"id": "msg_r1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "thinking", "thinking": thought, "signature": SIGNATURE},
                        {"type": "text", "text": f"Write to {SECRET_EMAIL}."}],
            "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 30}}


def _log(gateway: Any, token: str) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    [log] = httpx.get(f"{gateway.url}/spend/logs", params={"start_date": today, "key_digest": token},
                      headers=ADMIN).json()["data"]
    return log  # type: ignore[no-any-return]


@pytest.mark.parametrize("stream", [False, True])
def test_spend_log_records_a_mask_on_thinking_as_log(gateway: Any, claude_upstream: Any, stream: bool) -> None:
    key = httpx.post(f"{gateway.url}/key/generate", json={}, headers=ADMIN).json()
    claude_upstream.queue.append(Scripted(body=_thinking(f"The user is {SECRET_EMAIL}, fine to answer.")))
    client = anthropic.Anthropic(base_url=gateway.url, api_key=key["key"], max_retries=0)
    args: dict[str, Any] = {"model": "claude", "max_tokens": 2000, "messages": [{"role": "user", "content": "who?"}],
                            "thinking": {"type": "enabled", "budget_tokens": 1024},
                            "extra_body": {"guardrails": ["pii-out"]}}
    if stream:
        with client.messages.stream(**args) as events:
            answer = events.get_final_message()
    else:
        answer = client.messages.create(**args)
    assert SECRET_EMAIL in answer.content[0].thinking and answer.content[1].text == "Write to [EMAIL_1]."  # type: ignore[union-attr]
    decisions = _log(gateway, key["token"])["guardrails"]
    assert sorted(d["action"] for d in decisions) == ["log", "mask"]
    assert all(d == {"guardrail": "pii-out", "category": "EMAIL_ADDRESS", "action": d["action"], "stage": "output"}
               for d in decisions)


def test_spend_log_of_an_answer_blocked_in_its_thinking(gateway: Any, claude_upstream: Any) -> None:
    key = httpx.post(f"{gateway.url}/key/generate", json={}, headers=ADMIN).json()
    claude_upstream.queue.append(Scripted(body=_thinking("They ask about Project Falcon.")))
    client = anthropic.Anthropic(base_url=gateway.url, api_key=key["key"], max_retries=0)
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="claude", max_tokens=2000, messages=[{"role": "user", "content": "what?"}],
                               thinking={"type": "enabled", "budget_tokens": 1024},
                               extra_body={"guardrails": ["falcon-out"]})
    log = _log(gateway, key["token"])
    assert log["status"] == "failure" and log["completion_tokens"] == 30
    assert log["guardrails"] == [{"guardrail": "falcon-out", "category": "keyword", "action": "block",
                                  "stage": "output"}]
