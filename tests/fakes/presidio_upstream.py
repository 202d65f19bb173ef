"""A fake Presidio analyzer and anonymizer: ``POST /analyze`` and ``POST /anonymize`` as Presidio's REST API.

The analyzer finds ``EMAIL_ADDRESS``, ``PHONE_NUMBER`` (US style) and ``PERSON`` (capitalised names after
"I am"/"my name is") with Presidio's result shape; the anonymizer applies Presidio's default ``replace``
operator (``<ENTITY_TYPE>``) and returns ``{text, items}``. Requests are kept per endpoint.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_RECOGNIZERS = (
    ("EMAIL_ADDRESS", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), 1.0),
    ("PHONE_NUMBER", re.compile(r"\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}"), 0.75),
    ("PERSON", re.compile(r"(?:I am|my name is|My name is) ([A-Z][a-z]+(?: [A-Z][a-z]+)?)"), 0.85),
)


class FakePresidio:
    def __init__(self) -> None:
        self.analyzed: list[dict[str, Any]] = []
        self.anonymized: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/analyze", self.analyze, methods=["POST"]),
                                     Route("/anonymize", self.anonymize, methods=["POST"])])

    def reset(self) -> None:
        self.analyzed.clear()
        self.anonymized.clear()

    async def analyze(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        self.analyzed.append(body)
        text = body["text"]
        results = []
        for entity, pattern, score in _RECOGNIZERS:
            for match in pattern.finditer(text):
                group = 1 if pattern.groups else 0
                results.append({"entity_type": entity, "start": match.start(group), "end": match.end(group),
                                "score": score, "analysis_explanation": None,
                                "recognition_metadata": {"recognizer_name": f"{entity.title()}Recognizer"}})
        return JSONResponse(results)

    async def anonymize(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        self.anonymized.append(body)
        text: str = body["text"]
        items = []
        for result in sorted(body.get("analyzer_results", []), key=lambda r: r["start"], reverse=True):
            new = f"<{result['entity_type']}>"
            text = text[:result["start"]] + new + text[result["end"]:]
            items.append({"operator": "replace", "entity_type": result["entity_type"], "start": result["start"],
                          "end": result["start"] + len(new), "text": new})
        return JSONResponse({"text": text, "items": items})
