"""``bedrock``: Amazon Bedrock Guardrails through ``ApplyGuardrail`` (boto3 ``bedrock-runtime``, in a thread).

The text parts go as one content block each, with ``source`` INPUT or OUTPUT. When Bedrock intervenes, a
BLOCKED assessment blocks (the category names the policy: ``topic:<name>``, ``content:<type>``, ``word``,
``sensitive_information:<type>``, ``grounding:<type>``); when it only ANONYMIZED, its masked texts replace
the parts (its masking is honoured). A failed call fails closed (503) unless ``fail_open``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, Field

from tollway.errors import ServiceUnavailableError
from tollway.guardrails.base import Guardrail, Result, Session, Subject
from tollway.guardrails.base import Params as BaseParams
from tollway.observability.logging import logger

if TYPE_CHECKING:
    from tollway.guardrails.config import GuardrailParams


class Params(BaseParams):
    guardrailIdentifier: str = Field(min_length=1)
    guardrailVersion: str = "DRAFT"
    aws_region_name: str | None = None
    #: boto3's ``endpoint_url`` (LiteLLM: ``aws_bedrock_runtime_endpoint``)
    api_base: str | None = Field(default=None, validation_alias=AliasChoices("api_base",
                                                                             "aws_bedrock_runtime_endpoint"))
    timeout: float = Field(default=10, gt=0)
    fail_open: bool = False


class BedrockGuardrail(Guardrail):
    def __init__(self, name: str, kind: str, common: GuardrailParams, params: Params) -> None:
        super().__init__(name, kind, common)
        self.params = params
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    config = Config(connect_timeout=self.params.timeout, read_timeout=self.params.timeout,
                                    retries={"max_attempts": 2, "mode": "standard"})
                    self._client = boto3.client("bedrock-runtime", region_name=self.params.aws_region_name,
                                                endpoint_url=self.params.api_base, config=config)
        return self._client

    def _apply(self, source: str, texts: list[str]) -> dict[str, Any]:
        response: dict[str, Any] = self.client().apply_guardrail(
            guardrailIdentifier=self.params.guardrailIdentifier, guardrailVersion=self.params.guardrailVersion,
            source=source, content=[{"text": {"text": t}} for t in texts])
        return response

    async def apply(self, subject: Subject, session: Session) -> Result:
        texts = [p.text for p in subject.parts]
        if not any(t.strip() for t in texts):
            return Result()
        source = "INPUT" if subject.stage == "input" else "OUTPUT"
        try:
            response = await asyncio.to_thread(self._apply, source, texts)
        except Exception as exc:  # noqa: BLE001 - botocore raises many kinds; all mean "no verdict"
            logger.warning("bedrock guardrail %s failed: %s", self.name, type(exc).__name__)
            if self.params.fail_open:
                return Result()
            raise ServiceUnavailableError(f"The guardrail '{self.name}' is unavailable; retry shortly.",
                                          code="guardrail_unavailable") from None
        return verdict(response, texts, log_only=self.log_only)


def verdict(response: dict[str, Any], texts: list[str], *, log_only: bool = False) -> Result:
    """What an ApplyGuardrail answer means for these texts."""
    if response.get("action") != "GUARDRAIL_INTERVENED":
        return Result()
    blocked, anonymized = _assessed(response.get("assessments") or [])
    if log_only:
        return Result(flagged=[(c, "log") for c in blocked + anonymized] or [("intervened", "log")])
    if blocked:
        return Result(blocked=blocked[0])
    outputs = [o.get("text", "") for o in response.get("outputs") or []]
    if anonymized and len(outputs) == len(texts):
        rewrites = {i: out for i, (out, text) in enumerate(zip(outputs, texts, strict=True)) if out != text}
        return Result(rewrites=rewrites, flagged=[(c, "mask") for c in anonymized])
    if anonymized and len(outputs) == 1 and len(texts) == 1:
        return Result(rewrites={0: outputs[0]}, flagged=[(c, "mask") for c in anonymized])
    return Result(blocked=anonymized[0] if anonymized else "intervened")


def _assessed(assessments: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    blocked: list[str] = []
    anonymized: list[str] = []
    for assessment in assessments:
        checks = [
            ("topic", assessment.get("topicPolicy", {}).get("topics", []), "name"),
            ("content", assessment.get("contentPolicy", {}).get("filters", []), "type"),
            ("word", assessment.get("wordPolicy", {}).get("customWords", []), None),
            ("word", assessment.get("wordPolicy", {}).get("managedWordLists", []), "type"),
            ("sensitive_information", assessment.get("sensitiveInformationPolicy", {}).get("piiEntities", []), "type"),
            ("sensitive_information", assessment.get("sensitiveInformationPolicy", {}).get("regexes", []), "name"),
            ("grounding", assessment.get("contextualGroundingPolicy", {}).get("filters", []), "type"),
        ]
        for policy, items, field in checks:
            for item in items:
                category = f"{policy}:{item.get(field)}" if field and item.get(field) else policy
                if item.get("action") == "BLOCKED":
                    blocked.append(category)
                elif item.get("action") == "ANONYMIZED":
                    anonymized.append(category)
    return blocked, anonymized


def build(name: str, kind: str, common: GuardrailParams, params: Params) -> BedrockGuardrail:
    return BedrockGuardrail(name, kind, common, params)
