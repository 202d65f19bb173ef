"""A fake Azure OpenAI resource plus a fake Entra ID token endpoint, on one Starlette app.

Azure's data plane: ``/openai/deployments/{deployment}/chat/completions?api-version=...`` and
``.../embeddings``, or the v1 API under ``/openai/v1/``; auth by ``api-key`` or an Entra bearer
token this fake issued. Answers are OpenAI's (``tests.fakes.openai_upstream``), plus Azure's
habits: a first stream event carrying only ``prompt_filter_results`` (empty id, model and
object) and ``content_filter_results`` on choices. ``/{tenant}/oauth2/v2.0/token`` issues tokens
for the client-credentials grant.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.openai_upstream import Scripted, _completion, _stream

API_KEY = "azure-upstream-key"
TENANT = "tenant-123"
CLIENT_ID = "client-abc"
CLIENT_SECRET = "client-secret-xyz"
_FILTERS = {"hate": {"filtered": False, "severity": "safe"}, "violence": {"filtered": False, "severity": "safe"}}


class FakeAzure:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.issued: set[str] = set()
        self.queue: list[Scripted] = []
        self.app = Starlette(routes=[
            Route("/openai/deployments/{deployment}/chat/completions", self.chat, methods=["POST"]),
            Route("/openai/deployments/{deployment}/embeddings", self.embeddings, methods=["POST"]),
            Route("/openai/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/openai/v1/embeddings", self.embeddings, methods=["POST"]),
            Route("/openai/v1/responses", self.responses, methods=["POST"]),
            Route("/openai/responses", self.responses, methods=["POST"]),
            Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
        ])

    def reset(self) -> None:
        for log in (self.requests, self.headers, self.paths, self.token_requests, self.queue):
            log.clear()
        self.issued.clear()

    async def _record(self, request: Request) -> tuple[dict[str, Any], Response | None, Scripted | None]:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.paths.append(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
        if "deployment" in request.path_params and not request.query_params.get("api-version"):
            return body, _error(404, "Resource not found", "404"), None
        if "deployment" not in request.path_params and request.query_params.get("api-version"):
            return body, _error(400, "api-version is not allowed on the v1 API", "BadRequest"), None
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if request.headers.get("api-key") != API_KEY and bearer not in self.issued:
            return body, _error(401, "Access denied due to invalid subscription key or wrong API endpoint.",
                                "401"), None
        script = self.queue.pop(0) if self.queue else None
        if script and script.status >= 400:
            return body, JSONResponse(script.body, status_code=script.status, headers=script.headers), None
        return body, None, script

    async def responses(self, request: Request) -> Response:
        """The Responses API: ``/openai/v1/responses`` (no api-version) or ``/openai/responses?api-version=``."""
        from tests.fakes.openai_upstream import response_events, response_object

        v1 = request.url.path.startswith("/openai/v1/")
        if v1 == bool(request.query_params.get("api-version")):
            body = json.loads(await request.body())
            self.requests.append(body)
            self.paths.append(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
            return _error(400, "api-version is required on the preview route and not allowed on v1", "BadRequest")
        if not v1:
            request.path_params["deployment"] = "-"  # versioned like the deployment routes, for the checks below
        body, error, _ = await self._record(request)
        if error is not None:
            return error
        answer = response_object(body)
        if not body.get("stream"):
            return JSONResponse(answer)

        async def events() -> Any:
            for event in response_events(answer):
                yield event

        return StreamingResponse(events(), media_type="text/event-stream")

    async def chat(self, request: Request) -> Response:
        body, error, script = await self._record(request)
        if error is not None:
            return error
        completion = _completion(body)
        completion["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": _FILTERS}]
        for choice in completion["choices"]:
            choice["content_filter_results"] = _FILTERS
        if body.get("stream"):
            return StreamingResponse(_azure_stream(completion, body, script), media_type="text/event-stream")
        return JSONResponse(completion)

    async def embeddings(self, request: Request) -> Response:
        body, error, _ = await self._record(request)
        if error is not None:
            return error
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dims = body.get("dimensions", 3)
        data = [{"object": "embedding", "index": i, "embedding": [0.5 * (i + 1)] * dims} for i in range(len(inputs))]
        tokens = sum(len(str(x).split()) for x in inputs)
        return JSONResponse({"object": "list", "data": data, "model": "text-embedding-3-small",
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self.token_requests.append({"tenant": request.path_params["tenant"], **{k: str(v) for k, v in form.items()}})
        if (request.path_params["tenant"] != TENANT or form.get("client_id") != CLIENT_ID
                or form.get("client_secret") != CLIENT_SECRET or form.get("grant_type") != "client_credentials"):
            return JSONResponse({"error": "invalid_client",
                                 "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"},
                                status_code=401)
        token = f"entra-token-{len(self.token_requests)}"
        self.issued.add(token)
        return JSONResponse({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                             "access_token": token})


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _azure_stream(completion: dict[str, Any], body: dict[str, Any], script: Scripted | None):  # type: ignore[no-untyped-def]
    annotations = {"choices": [], "created": 0, "id": "", "model": "", "object": "",
                   "prompt_filter_results": completion["prompt_filter_results"]}
    yield f"data: {json.dumps(annotations)}\n\n"
    async for event in _stream(completion, body, script):
        yield event
