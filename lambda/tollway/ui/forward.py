"""Replaying a UI call against the admin API in process, as the session's caller.

Only admin reads and writes are reachable (``ALLOWED``): a session cannot call models. The replayed
request carries no cookie and no credential; its ``AuthContext`` rides in ``scope["state"]``, where only
in-process code can put it, and the admin routes apply their usual validation, RBAC and audit.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from tollway.api.deps import SESSION_AUTH
from tollway.errors import NotFoundError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import Message

    from tollway.auth.context import AuthContext

#: (method, admin path) pairs the UI may call
ALLOWED = re.compile(
    r"^(GET (key/(info|list)|team/(info|list)|user/(info|list)|project/(info|list)|spend/(logs|report)|audit"
    r"|health|v1/models|iam/principal/list)"
    r"|POST (key/(generate|update|delete|regenerate|block|unblock)|team/(new|update|delete|member_add|member_delete)"
    r"|user/(new|update|delete)|project/(new|update|delete)))$"
)
_PASSED_HEADERS = (b"content-type", b"accept", b"x-request-id")


async def forward(request: Request, path: str, auth: AuthContext) -> Response:
    """The admin API's answer to ``request`` replayed at ``/<path>`` as ``auth``."""
    if not ALLOWED.match(f"{request.method} {path}"):
        raise NotFoundError(f"The admin UI has no route '{request.method} /{path}'.", code="ui_route_not_found")
    body = await request.body()
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
        "scheme": request.url.scheme, "path": f"/{path}", "raw_path": f"/{path}".encode(), "root_path": "",
        "query_string": request.url.query.encode(), "client": request.scope.get("client"),
        "server": request.scope.get("server"), "app": request.app,
        "headers": [(k, v) for k, v in request.scope["headers"] if k in _PASSED_HEADERS],
        "state": {SESSION_AUTH: auth},
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status, headers, chunks = 500, [], []

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], message.get("headers", [])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app(scope, receive, send)
    kept = {k.decode(): v.decode() for k, v in headers if k in (b"content-type", b"retry-after", b"x-request-id")}
    return Response(b"".join(chunks), status_code=status, headers=kept)
