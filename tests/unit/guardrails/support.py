"""Building guardrails and sessions for unit tests, without an app."""

from __future__ import annotations

from typing import Any

from tollway.api.context import RequestContext
from tollway.auth.context import AuthContext
from tollway.guardrails.base import Guardrail, Session
from tollway.guardrails.config import GuardrailConfig
from tollway.guardrails.registry import build


def guard(kind: str, name: str | None = None, **params: Any) -> Guardrail:
    entry = GuardrailConfig.model_validate({"guardrail_name": name or kind,
                                            "litellm_params": {"guardrail": kind, **params}})
    return build([entry])[entry.guardrail_name]


def session() -> Session:
    return Session(auth=AuthContext(kind="virtual_key", team_id="t1"), ctx=RequestContext(request_id="req-1"))


def chunk(text: str, index: int = 0) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": index, "delta": {"content": text}}]}
