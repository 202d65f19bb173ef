"""Fixtures for metering integration tests: unique ids per test, the model configs they share."""

from __future__ import annotations

import uuid

import pytest

#: each answered call costs exactly 5 output tokens x $0.001 (the mock's reply is 5 tokens, max_tokens=5)
CALL_COST = 0.005
MOCK_MODEL = {"model_name": "metered", "litellm_params": {
    "model": "mock/metered", "mock_response": "a b c d e", "input_cost_per_token": 0.0,
    "output_cost_per_token": 0.001, "mock_latency_ms": 20}}


def chat_body(**extra: object) -> dict[str, object]:
    return {"model": "metered", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5, **extra}


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]
