"""``/v1/messages/count_tokens`` forwards the prompt to a Claude deployment's count endpoint: the request's
input guardrails apply as they would to the message (a block is Anthropic's 400 and nothing is sent; masking
changes what is counted); a model counted locally sends nothing anywhere, so nothing is checked."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.guardrails.conftest import SECRET_EMAIL, guardrail

CARD = "charge 4111 1111 1111 1111 please"


@pytest.fixture
def claude_client(start_gateway: Any, claude_upstream: Any) -> anthropic.Anthropic:
    gateway = start_gateway({
        "model_list": [
            {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5",
                                                        "api_base": claude_upstream.url, "api_key": "sk-ant-up"}},
            {"model_name": "mocky", "litellm_params": {"model": "mock/m"}},
        ],
        "guardrails": [
            guardrail("cards", "pii", action="block", default_on=True, entities=["CREDIT_CARD"]),
            guardrail("emails", "pii", default_on=True, entities=["EMAIL_ADDRESS"]),
            guardrail("short", "limits", default_on=True, max_output_tokens=10),
        ],
    })
    return anthropic.Anthropic(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)


def test_a_block_guardrail_stops_the_count_before_the_provider(claude_client: anthropic.Anthropic,
                                                              claude_upstream: Any) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude_client.messages.count_tokens(model="claude", messages=[{"role": "user", "content": CARD}])
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["code"] == "guardrail_violation" and body["error"]["guardrail"] == "cards"
    assert claude_upstream.requests == [] and "4111" not in caught.value.response.text


def test_the_provider_counts_the_masked_prompt(claude_client: anthropic.Anthropic, claude_upstream: Any) -> None:
    counted = claude_client.messages.count_tokens(
        model="claude", system=f"the user is {SECRET_EMAIL}",
        messages=[{"role": "user", "content": f"write to {SECRET_EMAIL}"}])
    (sent,) = claude_upstream.requests
    assert sent["system"] == "the user is [EMAIL_1]" and sent["messages"][0]["content"] == "write to [EMAIL_1]"
    assert "max_tokens" not in sent  # the output cap of ``limits`` belongs to messages, not to counts
    assert counted.input_tokens > 0


def test_a_local_estimate_sends_nothing_and_checks_nothing(claude_client: anthropic.Anthropic,
                                                          claude_upstream: Any) -> None:
    counted = claude_client.messages.count_tokens(model="mocky", messages=[{"role": "user", "content": CARD}])
    assert counted.input_tokens > 0 and claude_upstream.requests == []
