"""CORS for browser apps, as the Fetch standard's CORS protocol expects it.

Configured in ``general_settings`` (LiteLLM's ``allowed_origins`` or Tollway's
``cors_allow_origins``; ``cors_allow_methods``, ``cors_allow_headers``, ``cors_expose_headers``,
``cors_allow_credentials``, ``cors_max_age``). Without allowed origins the middleware does nothing.

- A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered here:
  204 with the ``Access-Control-Allow-*`` headers when the origin, the method and every requested
  header are allowed; otherwise 403 with an error body and no CORS headers (the browser then
  refuses the actual request).
- An actual request from an allowed origin gets ``Access-Control-Allow-Origin`` (and the exposed
  and credentials headers) on its response, streamed or not; a refused origin gets none.
- ``*`` allows any origin: answered as ``*`` while credentials are off (the default), else the
  origin is echoed. ``Vary: Origin`` is sent whenever the answer depends on the origin.

Pure ASGI: only the ``http.response.start`` message is touched, so streams pass through as sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from tollway.config.models import GeneralSettings

#: methods a browser may always use without listing them (Fetch's CORS-safelisted methods)
_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})


@dataclass(frozen=True)
class CorsPolicy:
    origins: tuple[str, ...]
    methods: frozenset[str]
    headers: frozenset[str]  # lower-case; "*" allows any
    expose: str
    credentials: bool
    max_age: int

    @classmethod
    def from_settings(cls, settings: GeneralSettings) -> CorsPolicy:
        origins = settings.allowed_origins if settings.allowed_origins is not None else settings.cors_allow_origins
        return cls(
            origins=tuple(o.rstrip("/") for o in origins or ()),
            methods=frozenset(m.upper() for m in settings.cors_allow_methods),
            headers=frozenset(h.lower() for h in settings.cors_allow_headers),
            expose=", ".join(settings.cors_expose_headers),
            credentials=settings.cors_allow_credentials,
            max_age=settings.cors_max_age,
        )

    @property
    def enabled(self) -> bool:
        return bool(self.origins)

    def allows_origin(self, origin: str) -> bool:
        return any(allowed in ("*", origin) or ("*" in allowed and fnmatchcase(origin, allowed))
                   for allowed in self.origins)

    def allow_origin_value(self, origin: str) -> str:
        return "*" if self.origins == ("*",) and not self.credentials else origin

    def response_headers(self, origin: str) -> list[tuple[bytes, bytes]]:
        """CORS headers of an actual response to an allowed ``origin``."""
        value = self.allow_origin_value(origin)
        out = [(b"access-control-allow-origin", value.encode("latin-1"))]
        if self.credentials:
            out.append((b"access-control-allow-credentials", b"true"))
        if self.expose:
            out.append((b"access-control-expose-headers", self.expose.encode("latin-1")))
        return out

    def preflight_refusal(self, origin: str, method: str, requested: list[str]) -> str | None:
        """Why a preflight is refused (None: it is allowed)."""
        if not self.allows_origin(origin):
            return f"The origin '{origin}' is not allowed to call this gateway."
        if method.upper() not in self.methods and method.upper() not in _SAFELISTED_METHODS:
            return f"The method '{method}' is not allowed from a browser."
        if "*" not in self.headers:
            refused = [h for h in requested if h not in self.headers]
            if refused:
                return f"The request header '{refused[0]}' is not allowed from a browser."
        return None


class CORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        policy = _policy(scope) if origin is not None else None
        if origin is None or policy is None or not policy.enabled:
            await self.app(scope, receive, send)
            return
        request_method = _header(scope, b"access-control-request-method")
        if scope["method"] == "OPTIONS" and request_method is not None:
            await _preflight(policy, origin, request_method, scope, send)
            return
        allowed = policy.allows_origin(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if not k.lower().startswith(b"access-control-")]
                if allowed:
                    headers += policy.response_headers(origin)
                message["headers"] = _with_vary(headers, "Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def _preflight(policy: CorsPolicy, origin: str, method: str, scope: Scope, send: Send) -> None:
    requested = [h.strip().lower() for h in (_header(scope, b"access-control-request-headers") or "").split(",")
                 if h.strip()]
    vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    refusal = policy.preflight_refusal(origin, method, requested)
    if refusal is not None:
        body = json.dumps({"error": {"message": refusal, "type": "permission_error", "param": None,
                                     "code": "cors_not_allowed"}}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 403, "headers": _with_vary(headers, vary)})
        await send({"type": "http.response.body", "body": body})
        return
    headers = [
        (b"access-control-allow-origin", policy.allow_origin_value(origin).encode("latin-1")),
        (b"access-control-allow-methods", ", ".join(sorted(policy.methods | {method.upper()})).encode()),
        (b"access-control-max-age", str(policy.max_age).encode()),
        (b"content-length", b"0"),
    ]
    if requested:
        headers.append((b"access-control-allow-headers", ", ".join(requested).encode("latin-1")))
    if policy.credentials:
        headers.append((b"access-control-allow-credentials", b"true"))
    await send({"type": "http.response.start", "status": 204, "headers": _with_vary(headers, vary)})
    await send({"type": "http.response.body", "body": b""})


def _policy(scope: Scope) -> CorsPolicy | None:
    """The policy of the app's gateway (built from its config once; the gateway is made on first use)."""
    app = scope.get("app")
    state = getattr(app, "state", None)
    if state is None:
        return None
    gateway = getattr(state, "gateway", None)
    if gateway is None:
        from tollway.api.deps import built_gateway

        gateway = built_gateway(state)
        if gateway is None:
            return None  # the route meets the same error and answers it inside the request middleware
    cached: tuple[object, CorsPolicy] | None = getattr(state, "tollway_cors", None)
    if cached is None or cached[0] is not gateway:
        cached = state.tollway_cors = (gateway, CorsPolicy.from_settings(gateway.config.general_settings))
    return cached[1]


def _with_vary(headers: list[tuple[bytes, bytes]], value: str) -> list[tuple[bytes, bytes]]:
    for index, (key, existing) in enumerate(headers):
        if key.lower() == b"vary":
            headers[index] = (key, existing + b", " + value.encode())
            return headers
    return [*headers, (b"vary", value.encode())]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None
