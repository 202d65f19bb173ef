"""``presidio``: a Presidio analyzer (and anonymizer) over HTTP, configured as LiteLLM configures it.

``POST {presidio_analyzer_api_base}/analyze`` finds entities in each text part. Entities whose action is
BLOCK (``pii_entities_config``) block; the rest are masked: through ``POST
{presidio_anonymizer_api_base}/anonymize`` (Presidio's own operators), or, with ``output_parse_pii``, with
``[EMAIL_ADDRESS_1]``-style placeholders that are put back into the answer. A failed call fails closed
(503) unless ``fail_open``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import Field, field_validator

from tollway.errors import ServiceUnavailableError
from tollway.guardrails.base import Finding, Guardrail, Result, Session, Subject, rewrite
from tollway.guardrails.base import Params as BaseParams
from tollway.observability.logging import logger

if TYPE_CHECKING:
    from tollway.guardrails.config import GuardrailParams

class Params(BaseParams):
    presidio_analyzer_api_base: str = Field(min_length=1)
    presidio_anonymizer_api_base: str | None = None
    presidio_language: str = "en"
    presidio_score_threshold: float = Field(default=0.0, ge=0, le=1)
    pii_entities_config: dict[str, str] | None = None
    output_parse_pii: bool = False
    action: Literal["block", "mask", "log"] = "mask"
    timeout: float = Field(default=10, gt=0)
    fail_open: bool = False

    @field_validator("pii_entities_config")
    @classmethod
    def _actions(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        bad = [k for k, v in value.items() if str(v).lower() not in ("block", "mask", "log")]
        if bad:
            raise ValueError(f"action for '{bad[0]}' must be BLOCK, MASK or LOG")
        return {k.upper(): str(v).lower() for k, v in value.items()}

    @field_validator("action", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class PresidioGuardrail(Guardrail):
    def __init__(self, name: str, kind: str, common: GuardrailParams, params: Params) -> None:
        super().__init__(name, kind, common)
        self.params = params
        self.analyzer = params.presidio_analyzer_api_base.rstrip("/")
        self.anonymizer = (params.presidio_anonymizer_api_base or "").rstrip("/") or None
        self._http: httpx.AsyncClient | None = None
        self.restores_output = params.output_parse_pii

    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.params.timeout)
        return self._http

    def _action(self, entity: str) -> str | None:
        """The action for an entity; None for one ``pii_entities_config`` does not list (left alone)."""
        configured = self.params.pii_entities_config
        if configured:
            return configured.get(entity)
        return self.params.action

    async def apply(self, subject: Subject, session: Session) -> Result:
        result = Result()
        for index, part in enumerate(subject.parts):
            text = part.text
            if text.strip():
                text = await self._check(text, result, session)
                if result.blocked:
                    return result
            if text != part.text:
                result.rewrites[index] = text
        return result

    async def _check(self, text: str, result: Result, session: Session) -> str:
        body = {"text": text, "language": self.params.presidio_language}
        found = [r for r in await self._post(f"{self.analyzer}/analyze", body)
                 if float(r.get("score", 1.0)) >= self.params.presidio_score_threshold]
        masked: list[dict[str, Any]] = []
        for item in found:
            entity = str(item.get("entity_type", "PII"))
            action = self._action(entity)
            if action is None:
                continue
            action = "log" if self.log_only else action
            if action == "block":
                result.blocked = entity
                return text
            result.flagged.append((entity, action))
            if action == "mask":
                masked.append(item)
        if not masked:
            return text
        if self.params.output_parse_pii or self.anonymizer is None:
            return rewrite(text, [Finding(int(r["start"]), int(r["end"]), str(r["entity_type"]), "mask",
                                          session.placeholder(str(r["entity_type"]), text[r["start"]:r["end"]]))
                                  for r in masked])
        answer = await self._post(f"{self.anonymizer}/anonymize", {"text": text, "analyzer_results": masked})
        return str(answer.get("text", text)) if isinstance(answer, dict) else text

    async def _post(self, url: str, body: dict[str, Any]) -> Any:
        try:
            response = await self.http().post(url, json=body)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("presidio guardrail %s failed: %s", self.name, type(exc).__name__)
            if self.params.fail_open:
                return [] if url.endswith("/analyze") else {"text": body["text"]}
            raise ServiceUnavailableError(f"The guardrail '{self.name}' is unavailable; retry shortly.",
                                          code="guardrail_unavailable") from None


def build(name: str, kind: str, common: GuardrailParams, params: Params) -> PresidioGuardrail:
    return PresidioGuardrail(name, kind, common, params)
