"""The ``guardrails:`` section of the config, in LiteLLM's schema.

    guardrails:
      - guardrail_name: pii-mask
        litellm_params:
          guardrail: pii            # pii | phi | prompt_injection | keywords | regex | limits | bedrock | presidio
          mode: pre_call            # or during_call, post_call, logging_only, or a list of these
          default_on: true          # runs for every request unless switched off
          mandatory: true           # (Tollway) no team, key or request can switch it off
          action: mask              # type-specific settings follow

Type-specific settings are validated at load by the type's own ``Params`` model (its module is imported
only when a config names the type), so a mistake stops ``tollway serve`` and ``cdk synth``.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MODES = ("pre_call", "during_call", "post_call", "logging_only")
#: guardrail type -> module under ``tollway.guardrails`` that defines ``Params`` and ``build``
TYPES = {
    "pii": "builtin.pii", "phi": "builtin.pii", "prompt_injection": "builtin.injection",
    "keywords": "builtin.keywords", "regex": "builtin.keywords", "limits": "builtin.limits",
    "bedrock": "integrations.bedrock", "presidio": "integrations.presidio",
}
#: LiteLLM's spellings of the same types
ALIASES = {"bedrock_guardrails": "bedrock", "banned_keywords": "keywords",
           "detect_prompt_injection": "prompt_injection"}


class GuardrailParams(BaseModel):
    """``litellm_params`` of one guardrail: the common fields; the rest belong to its type."""

    model_config = ConfigDict(extra="allow")

    guardrail: str
    mode: str | list[str] = "pre_call"
    default_on: bool = False
    mandatory: bool = False
    stream_window_chars: int = Field(default=256, ge=16, le=65536)
    stream_hold_back_chars: int = Field(default=64, ge=0, le=8192)

    @field_validator("guardrail")
    @classmethod
    def _known_type(cls, value: str) -> str:
        value = ALIASES.get(value, value)
        if value not in TYPES:
            raise ValueError(f"unknown guardrail '{value}' (supported: {', '.join(TYPES)})")
        return value

    @field_validator("mode")
    @classmethod
    def _known_modes(cls, value: str | list[str]) -> list[str]:
        modes = [value] if isinstance(value, str) else list(value)
        bad = [m for m in modes if m not in MODES]
        if bad or not modes:
            raise ValueError(f"unknown mode '{bad[0] if bad else ''}' (known: {', '.join(MODES)})")
        return modes

    @property
    def modes(self) -> frozenset[str]:
        return frozenset(self.mode if isinstance(self.mode, list) else [self.mode])

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class GuardrailConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    guardrail_name: str = Field(min_length=1, max_length=128)
    litellm_params: GuardrailParams
    guardrail_info: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _type_params(self) -> GuardrailConfig:
        params_model(self.litellm_params.guardrail).model_validate(self.litellm_params.extra)
        return self


def params_model(kind: str) -> type[BaseModel]:
    return module_of(kind).Params  # type: ignore[no-any-return]


def module_of(kind: str) -> Any:
    return importlib.import_module(f"tollway.guardrails.{TYPES[kind]}")


def check_unique(entries: list[GuardrailConfig]) -> list[GuardrailConfig]:
    seen: set[str] = set()
    for entry in entries:
        if entry.guardrail_name in seen:
            raise ValueError(f"guardrail_name '{entry.guardrail_name}' is used twice")
        seen.add(entry.guardrail_name)
    return entries
