"""A fake Amazon Bedrock ``ApplyGuardrail`` endpoint speaking the real REST-JSON protocol on loopback.

``POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply`` with ``source`` and ``content``.
Its policy, like a guardrail configured in the console: texts mentioning a denied topic word are BLOCKED
(topic ``Investment advice``), emails are ANONYMIZED to ``{EMAIL}`` (Bedrock's mask format), and
``force_error`` makes it answer 500. Requests are kept in ``calls`` (path identifiers, source, texts).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
USAGE = {"topicPolicyUnits": 1, "contentPolicyUnits": 1, "wordPolicyUnits": 1, "sensitiveInformationPolicyUnits": 1,
         "sensitiveInformationPolicyFreeUnits": 0, "contextualGroundingPolicyUnits": 0}


class FakeBedrockGuardrail:
    def __init__(self, denied_words: tuple[str, ...] = ("stock tip", "bitcoin")) -> None:
        self.denied_words = denied_words
        self.calls: list[dict[str, Any]] = []
        self.force_error = False
        self.app = Starlette(routes=[Route("/guardrail/{identifier}/version/{version}/apply", self.apply,
                                           methods=["POST"])])

    def reset(self) -> None:
        self.calls.clear()
        self.force_error = False

    async def apply(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        texts = [block["text"]["text"] for block in body.get("content", []) if "text" in block]
        self.calls.append({"identifier": request.path_params["identifier"],
                           "version": request.path_params["version"], "source": body.get("source"),
                           "texts": texts, "authorization": request.headers.get("authorization", "")})
        if self.force_error:
            return JSONResponse({"message": "internal failure"}, status_code=500,
                                headers={"x-amzn-ErrorType": "InternalServerException"})
        topics = [{"name": "Investment advice", "type": "DENY", "action": "BLOCKED", "detected": True}
                  for word in self.denied_words if any(word in t.lower() for t in texts)][:1]
        emails = [m.group() for t in texts for m in _EMAIL.finditer(t)]
        if topics:
            return JSONResponse({"usage": USAGE, "action": "GUARDRAIL_INTERVENED",
                                 "outputs": [{"text": "Sorry, I cannot help with that."}],
                                 "assessments": [{"topicPolicy": {"topics": topics}}]})
        if emails:
            entities = [{"match": e, "type": "EMAIL", "action": "ANONYMIZED", "detected": True} for e in emails]
            return JSONResponse({"usage": USAGE, "action": "GUARDRAIL_INTERVENED",
                                 "outputs": [{"text": _EMAIL.sub("{EMAIL}", t)} for t in texts],
                                 "assessments": [{"sensitiveInformationPolicy": {"piiEntities": entities,
                                                                                 "regexes": []}}]})
        return JSONResponse({"usage": USAGE, "action": "NONE", "outputs": [], "assessments": []})
