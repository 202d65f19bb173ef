"""A fake Google upstream: the Gemini API (AI Studio), Vertex AI and an OAuth token endpoint.

It speaks the real wire formats: ``models/{model}:generateContent``,
``:streamGenerateContent?alt=sse`` (one ``GenerateContentResponse`` per SSE event),
``:batchEmbedContents``; Vertex's ``/v1/projects/{p}/locations/{l}/publishers/google/
models/{model}:{method}`` including ``:predict`` for embeddings; and ``/token``, which
verifies a service account's signed JWT assertion (RS256, against the public key the
test registered) the way Google's token endpoint does and issues an access token.

Tests script answers (``fake.queue``) and read what arrived (``fake.requests``,
``fake.headers``, ``fake.paths``, ``fake.token_requests``). By default it echoes the last
user text, calls a tool when ``toolConfig`` forces one (or tools are offered and no tool
result is present yet), thinks when ``thinkingConfig`` asks, and answers JSON in JSON mode.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

PNG_BYTES = b"\x89PNG\r\n\x1a\n-a-tiny-fake-png"
SIGNATURE = base64.b64encode(b"\x01\x02opaque-thought-signature\xfe\xff").decode()


@dataclass
class Scripted:
    """One scripted answer: an error (status >= 400), a given 200 body, or stream events."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    events: list[Any] | None = None


class FakeGoogle:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.queue: list[Scripted] = []
        self.token_requests: list[dict[str, str]] = []
        self.public_key_pem: bytes | None = None
        self.tokens_issued = 0
        self.token_lifetime = 3600
        self.app = Starlette(routes=[
            Route("/v1beta/{path:path}", self.model_call, methods=["POST"]),
            Route("/v1/{path:path}", self.model_call, methods=["POST"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/image.png", self.image, methods=["GET"]),
        ])

    def reset(self) -> None:
        self.requests.clear()
        self.headers.clear()
        self.paths.clear()
        self.queue.clear()
        self.token_requests.clear()

    async def image(self, request: Request) -> Response:
        return Response(PNG_BYTES, media_type="image/png")

    # ------------------------------------------------------------------ OAuth token endpoint

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        self.token_requests.append(form)
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not self._valid(form):
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
                                status_code=400)
        self.tokens_issued += 1
        return JSONResponse({"access_token": f"ya29.fake-token-{self.tokens_issued}",
                             "expires_in": self.token_lifetime, "token_type": "Bearer"})

    def _valid(self, form: dict[str, str]) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            header, payload, signature = form["assertion"].split(".")
            key = serialization.load_pem_public_key(self.public_key_pem or b"")
            key.verify(_unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(),  # type: ignore[union-attr,call-arg]
                       hashes.SHA256())
            claims = json.loads(_unb64(payload))
        except (KeyError, ValueError, InvalidSignature):
            return False
        return "cloud-platform" in claims.get("scope", "") and claims.get("aud", "").endswith("/token")

    # ------------------------------------------------------------------ model methods

    async def model_call(self, request: Request) -> Response:
        path = request.url.path
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.paths.append(path + (f"?{request.url.query}" if request.url.query else ""))
        script = self.queue.pop(0) if self.queue else None
        if script and script.status >= 400:
            return JSONResponse(script.body, status_code=script.status, headers=script.headers)
        method = path.rsplit(":", 1)[-1]
        if method == "batchEmbedContents":
            return JSONResponse({"embeddings": [_vector(i, r.get("outputDimensionality", 3))
                                                for i, r in enumerate(body["requests"])]})
        if method == "predict":
            dims = (body.get("parameters") or {}).get("outputDimensionality", 3)
            return JSONResponse({"predictions": [
                {"embeddings": {**_vector(i, dims), "statistics": {"token_count": 2, "truncated": False}}}
                for i, _ in enumerate(body["instances"])]})
        if method == "streamGenerateContent":
            events = script.events if script and script.events is not None else _events(_answer(body))
            return StreamingResponse(_sse(events), media_type="text/event-stream")
        return JSONResponse(script.body if script and script.body is not None else _answer(body))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _vector(i: int, dims: int) -> dict[str, Any]:
    return {"values": [round(0.25 * (i + 1), 4)] * dims}


def _last_user_text(body: dict[str, Any]) -> str:
    for content in reversed(body["contents"]):
        if content["role"] == "user":
            for part in content["parts"]:
                if "functionResponse" in part:
                    return json.dumps(part["functionResponse"]["response"], separators=(",", ":"))
            return " ".join(p["text"] for p in content["parts"] if "text" in p)
    return ""


def _tool_to_call(body: dict[str, Any]) -> str | None:
    declarations = [d for tool in body.get("tools", []) for d in tool.get("functionDeclarations", [])]
    if not declarations:
        return None
    config = body.get("toolConfig", {}).get("functionCallingConfig", {})
    last = body["contents"][-1]["parts"]
    answered = any("functionResponse" in p for p in last)
    if config.get("mode") == "NONE" or (answered and config.get("mode") != "ANY"):
        return None
    allowed = config.get("allowedFunctionNames")
    return str(allowed[0] if allowed else declarations[0]["name"])


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    config = body.get("generationConfig", {})
    parts: list[dict[str, Any]] = []
    thoughts = 0
    if config.get("thinkingConfig", {}).get("includeThoughts"):
        parts.append({"text": "Let me think about this.", "thought": True})
        thoughts = 12
    tool = _tool_to_call(body)
    if tool:
        parts.append({"functionCall": {"name": tool, "args": {"city": "Paris"}}, "thoughtSignature": SIGNATURE})
    elif config.get("responseMimeType") == "application/json":
        parts.append({"text": json.dumps({"answer": _last_user_text(body)})})
    else:
        parts.append({"text": f"echo: {_last_user_text(body)}"})
    prompt = 7 + sum(len(p.get("text", "").split()) for c in body["contents"] for p in c["parts"])
    candidates = [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": i}
                  for i in range(config.get("candidateCount", 1))]
    return {
        "candidates": candidates,
        "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": 5, "thoughtsTokenCount": thoughts,
                          "cachedContentTokenCount": 4, "totalTokenCount": prompt + 5 + thoughts},
        "modelVersion": "gemini-2.5-flash-fake", "responseId": "resp-fake-1",
    }


def _events(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer split like Gemini streams it: text word by word, calls whole, usage on every event."""
    base = {"modelVersion": answer["modelVersion"], "responseId": answer["responseId"]}
    usage = answer["usageMetadata"]
    events: list[dict[str, Any]] = []
    for part in answer["candidates"][0]["content"]["parts"]:
        pieces = [part]
        if "text" in part and not part.get("thought"):
            words = part["text"].split(" ")
            pieces = [{"text": w + (" " if i < len(words) - 1 else "")} for i, w in enumerate(words)]
        for piece in pieces:
            events.append({**base, "candidates": [{"content": {"role": "model", "parts": [piece]}, "index": 0}],
                           "usageMetadata": {"promptTokenCount": usage["promptTokenCount"]}})
    events[-1]["candidates"][0]["finishReason"] = "STOP"
    events[-1]["usageMetadata"] = usage
    return events


async def _sse(events: list[Any]):  # type: ignore[no-untyped-def]
    for event in events:
        yield f"data: {json.dumps(event)}\r\n\r\n"
        await asyncio.sleep(0)
