"""``pii`` and ``phi``: find personal (and health) identifiers; block, mask with typed placeholders, or log.

``mask`` replaces each value with ``[EMAIL_1]``-style placeholders, the same value getting the same
placeholder throughout the request; with ``output_parse_pii`` the originals are put back into the answer
(as LiteLLM's Presidio integration does), so the model never sees them and the caller still reads them.
``pii_entities_config`` sets an action per entity (``{CREDIT_CARD: BLOCK, EMAIL_ADDRESS: MASK}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import field_validator

from tollway.guardrails.base import Finding, Session, Stage, TextGuardrail
from tollway.guardrails.base import Params as BaseParams
from tollway.guardrails.builtin import entities, scan

if TYPE_CHECKING:
    from tollway.guardrails.config import GuardrailParams

ActionName = Literal["block", "mask", "log"]


class Params(BaseParams):
    action: ActionName = "mask"
    entities: list[str] | None = None
    pii_entities_config: dict[str, str] | None = None
    output_parse_pii: bool = False

    @field_validator("action", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("entities")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [entities.canonical(v) for v in value]

    @field_validator("pii_entities_config")
    @classmethod
    def _actions(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        out = {}
        for name, action in value.items():
            if str(action).lower() not in ("block", "mask", "log"):
                raise ValueError(f"action for '{name}' must be BLOCK, MASK or LOG")
            out[entities.canonical(name)] = str(action).lower()
        return out


class PiiGuardrail(TextGuardrail):
    def __init__(self, name: str, kind: str, common: GuardrailParams, params: Params) -> None:
        super().__init__(name, kind, common)
        default = entities.PHI_DEFAULT if kind == "phi" else entities.PII_DEFAULT
        actions = dict(params.pii_entities_config or {})
        chosen = params.entities or (list(actions) if actions and not params.entities else list(default))
        self.entities = [entities.ENTITIES[n] for n in chosen]
        self.actions = {n: actions.get(n, params.action) for n in chosen}
        self.restores_output = params.output_parse_pii

    def findings(self, text: str, stage: Stage, session: Session) -> list[Finding]:
        found: list[Finding] = []
        prepared = scan.prepared(session, text)
        cache = session.cache
        digits, tokens, words = bool(prepared.runs), bool(prepared.tokens), prepared.words
        for entity in self.entities:
            # what each family needs before its windows are worth computing: cheaper than asking each entity
            if (entity.min_digits and not digits) or (entity.min_token and not tokens) \
                    or (entity.gate and words.isdisjoint(entity.gate)) or (entity.char and entity.char not in text):
                continue
            key = (entity.name, prepared)  # pii and phi guardrails share what they both look for
            spans = cache.get(key)
            if spans is None:
                spans = cache[key] = entity.spans(prepared)
            if spans:
                action = self.actions[entity.name]
                for start, end in spans:
                    replacement = session.placeholder(entity.label, text[start:end]) if action == "mask" else None
                    found.append(Finding(start, end, entity.name, action, replacement))  # type: ignore[arg-type]
        return found


def build(name: str, kind: str, common: GuardrailParams, params: Params) -> PiiGuardrail:
    return PiiGuardrail(name, kind, common, params)
