"""Pure-ASGI middleware: request id, timing, the request log, and a last-resort 500.

Pure ASGI (not BaseHTTPMiddleware) so streamed bodies pass through untouched. Once the app has
read the whole request body, a watcher waits for the client to disconnect; a disconnect before
the response starts sets ``ctx.extra["client_disconnected"]`` (the pipeline then settles the call
as ``abandoned``). The ``x-request-id`` a client sends is echoed and logged, nothing more: it
names no reservation or record that another request could collide with.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from typing import TYPE_CHECKING, Any

from tollway.api.context import RequestContext
from tollway.api.deadline import deadline_for
from tollway.errors import InternalError
from tollway.observability.logging import log_request, logger

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else f"req-{uuid.uuid4().hex}"
        ctx = RequestContext(request_id=request_id, deadline=deadline_for(scope))
        scope.setdefault("state", {})["tollway_ctx"] = ctx
        status = 500
        started = False
        watcher: asyncio.Task[None] | None = None

        async def watch_disconnect() -> None:
            message = await receive()
            if message["type"] == "http.disconnect" and not started:
                ctx.extra["client_disconnected"] = True

        async def receive_and_watch() -> Message:
            nonlocal watcher
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body") and watcher is None:
                watcher = asyncio.ensure_future(watch_disconnect())
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = ctx.status = message["status"]
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            _gateway_built(scope)
            await self.app(scope, receive_and_watch, send_with_id)
        except Exception:  # noqa: BLE001 - the last resort: log it, answer a bare 500
            logger.exception("unhandled error", extra={"request_id": request_id})
            ctx.error_type = "internal_error"
            if not started:
                await _send_internal_error(send_with_id, scope["path"])
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            log_request(ctx, method=scope["method"], path=scope["path"], status=status)


def _gateway_built(scope: Scope) -> None:
    """Build the app's gateway before the middleware inside looks at what its config turns on: on Lambda it
    is built on the first request, and tracing (``TracingMiddleware``) would miss that request's server span.
    One attribute read once built; a broken config is left for the route to answer."""
    app_state = getattr(scope.get("app"), "state", None)
    if app_state is not None and getattr(app_state, "gateway", None) is None:
        from tollway.api.deps import built_gateway

        built_gateway(app_state)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


async def _send_internal_error(send: Any, path: str) -> None:
    import json

    from tollway.api.errors import error_payload

    body = json.dumps(error_payload(InternalError("The gateway hit an unexpected error."), path)).encode()
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
