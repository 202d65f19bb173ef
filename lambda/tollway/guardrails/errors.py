"""``GuardrailViolation``: the 400 a block becomes (``code: guardrail_violation``).

It names the guardrail and the category, never the offending text; the Anthropic front door wraps the same
fields in its own envelope.
"""

from __future__ import annotations

from typing import Any

from tollway.errors import InvalidRequestError


class GuardrailViolation(InvalidRequestError):
    default_code = "guardrail_violation"

    def __init__(self, guardrail: str, category: str, *, stage: str) -> None:
        where = "request" if stage == "input" else "response"
        super().__init__(f"The {where} was blocked by guardrail '{guardrail}' (category: {category}).")
        self.guardrail, self.category, self.stage = guardrail, category, stage

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["error"].update({"guardrail": self.guardrail, "category": self.category})
        return body
