"""``limits``' ``max_request_bytes``: the request as forwarded, in JSON, counted to the byte (models and dicts)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.guardrails.support import guard, session
from tollway.guardrails import engine
from tollway.types.chat import ChatRequest
from tollway.views import anthropic, canonical

_TEXT = "naïve ☃ \u2028 \"quoted\" \\ tab\tnew\nline \x01 " * 40


def _chat() -> ChatRequest:
    return ChatRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": _TEXT}]})


def _messages() -> dict[str, Any]:
    return {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": _TEXT}]}


@pytest.mark.parametrize(("make", "view", "size"), [
    (_chat, canonical.CHAT_REQUEST, lambda obj: len(obj.model_dump_json(exclude_none=True).encode())),
    (_messages, anthropic.REQUEST,
     lambda obj: len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())),
])
async def test_max_request_bytes_is_the_json_size_to_the_byte(make: Any, view: Any, size: Any) -> None:
    exact = size(make())
    for limit, blocked in ((exact, None), (exact - 1, "max_request_bytes")):
        limits = guard("limits", max_request_bytes=limit)
        obj = make()
        result = await limits.apply(engine.subject("input", obj, view), session())
        assert result.blocked == blocked, (limit, exact)
