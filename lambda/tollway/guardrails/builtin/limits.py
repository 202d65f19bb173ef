"""``limits``: the size of what goes in and comes out.

``max_request_bytes`` (the request as forwarded, in JSON), ``max_input_tokens`` (estimated over its text at
four characters a token, OpenAI's rule of thumb: cheap enough for any prompt size),
``max_messages``, ``max_output_tokens`` (lowers the request's own cap, or sets one: never a block) and
``max_response_chars`` (the answer's text, reasoning not counted; on streams counted as it arrives).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from tollway.guardrails.base import Guardrail, Result, Session, Subject
from tollway.guardrails.base import Params as BaseParams

if TYPE_CHECKING:
    from tollway.guardrails.config import GuardrailParams


class Params(BaseParams):
    max_request_bytes: int | None = Field(default=None, ge=1)
    max_input_tokens: int | None = Field(default=None, ge=1)
    max_output_tokens: int | None = Field(default=None, ge=1)
    max_messages: int | None = Field(default=None, ge=1)
    max_response_chars: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _something(self) -> Params:
        if all(v is None for v in (self.max_request_bytes, self.max_input_tokens, self.max_output_tokens,
                                   self.max_messages, self.max_response_chars)):
            raise ValueError("set at least one of max_request_bytes, max_input_tokens, max_output_tokens, "
                             "max_messages, max_response_chars")
        return self


class LimitsGuardrail(Guardrail):
    def __init__(self, name: str, kind: str, common: GuardrailParams, params: Params) -> None:
        super().__init__(name, kind, common)
        self.params = params
        self.max_output_chars = params.max_response_chars if self.runs("post_call") else None
        #: the output-token cap the pre-call puts on the request (``Guard.carry`` puts it on a translation too)
        self.output_cap = None if self.log_only else params.max_output_tokens

    async def apply(self, subject: Subject, session: Session) -> Result:
        p = self.params
        if subject.stage == "output":
            answer = sum(len(x.text) for x in subject.parts if not x.reasoning)
            if p.max_response_chars is not None and answer > p.max_response_chars:
                return self._breach("max_response_chars")
            return Result()
        if p.max_messages is not None and _call(subject.view, "message_count", subject.obj, 0) > p.max_messages:
            return self._breach("max_messages")
        if p.max_request_bytes is not None and _size(subject.obj) > p.max_request_bytes:
            return self._breach("max_request_bytes")
        if p.max_input_tokens is not None and estimate(subject.parts) > p.max_input_tokens:
            return self._breach("max_input_tokens")
        if p.max_output_tokens is not None and not self.log_only:
            _call(subject.view, "clamp_output", subject.obj, False, p.max_output_tokens)
        return Result()

    def _breach(self, category: str) -> Result:
        return Result(flagged=[(category, "log")]) if self.log_only else Result(blocked=category)


def estimate(parts: list[Any]) -> int:
    """Input tokens at 4 characters each (rounded up per part)."""
    return sum(-(-len(part.text) // 4) for part in parts)


def _size(obj: Any) -> int:
    """The bytes of ``obj`` as JSON: a model's ``model_dump_json(exclude_none=True)``, read as the UTF-8 bytes
    its serializer makes (not decoded to a string and encoded again), or a dict's compact ``json.dumps``."""
    serializer = getattr(type(obj), "__pydantic_serializer__", None)
    if serializer is not None:
        return len(serializer.to_json(obj, exclude_none=True))
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def _call(view: Any, method: str, obj: Any, default: Any, *args: Any) -> Any:
    fn = getattr(view, method, None)
    return fn(obj, *args) if fn is not None else default


def build(name: str, kind: str, common: GuardrailParams, params: Params) -> LimitsGuardrail:
    return LimitsGuardrail(name, kind, common, params)
