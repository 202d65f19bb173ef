"""Microsoft Entra ID (Azure AD) access tokens by the OAuth 2.0 client-credentials flow.

A token is fetched from ``{authority}/{tenant}/oauth2/v2.0/token`` and cached per
(authority, tenant, client, scope) until shortly before it expires, so a warm Lambda
asks Entra once an hour, not once a request. Concurrent callers share one fetch.
Failures are the gateway's (its service principal), reported without the secret.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from dataclasses import dataclass

import httpx

from tollway.errors import TollwayError, UpstreamError
from tollway.providers.transport import error_from_transport, error_message, http_client, timeout

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
#: refresh this many seconds before the token's stated expiry
REFRESH_MARGIN = 300.0
TOKEN_TIMEOUT = 30.0


@dataclass(frozen=True)
class ClientCredentials:
    tenant_id: str
    client_id: str
    client_secret: str
    authority: str = DEFAULT_AUTHORITY
    scope: str = COGNITIVE_SCOPE

    @property
    def token_url(self) -> str:
        return f"{self.authority.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token"


@dataclass
class _Cached:
    token: str
    refresh_at: float


#: the cache's clock (a seam for tests; monotonic, so wall-clock changes never matter)
_clock = time.monotonic

_Key = tuple[str, str, str, str]
_cache: dict[_Key, _Cached] = {}
# one lock per event loop and credential: a lock must not be shared across loops
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_Key, asyncio.Lock]] = weakref.WeakKeyDictionary()


def clear_cache() -> None:
    """Forget cached tokens (tests; credential rotation)."""
    _cache.clear()
    _locks.clear()


async def access_token(creds: ClientCredentials) -> str:
    """A valid bearer token for ``creds``, from the cache when still fresh."""
    key = (creds.authority, creds.tenant_id, creds.client_id, creds.scope)
    cached = _cache.get(key)
    if cached and _clock() < cached.refresh_at:
        return cached.token
    lock = _locks.setdefault(asyncio.get_running_loop(), {}).setdefault(key, asyncio.Lock())
    async with lock:
        cached = _cache.get(key)
        if cached and _clock() < cached.refresh_at:
            return cached.token
        token, lifetime = await _fetch(creds)
        _cache[key] = _Cached(token, _clock() + max(0.0, lifetime - REFRESH_MARGIN))
        return token


async def _fetch(creds: ClientCredentials) -> tuple[str, float]:
    form = {
        "grant_type": "client_credentials", "client_id": creds.client_id,
        "client_secret": creds.client_secret, "scope": creds.scope,
    }
    try:
        response = await http_client().post(creds.token_url, data=form, headers={"accept": "application/json"},
                                            timeout=timeout(TOKEN_TIMEOUT))
    except httpx.HTTPError as exc:
        raise _auth_error(error_from_transport("azure (Entra ID token)", exc, TOKEN_TIMEOUT)) from None
    if response.status_code >= 400:
        # AADSTS descriptions name the tenant/client, never the secret
        raise UpstreamError(
            f"azure: Entra ID refused the gateway's client credentials (HTTP {response.status_code}): "
            f"{_describe(response.content)}",
            code="upstream_auth_error", upstream_status=response.status_code,
        )
    try:
        data = response.json()
        token = str(data["access_token"])
        lifetime = float(data.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError):
        raise UpstreamError("azure: unexpected answer from the Entra ID token endpoint",
                            code="upstream_auth_error") from None
    return token, lifetime


def _describe(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        description = str(data.get("error_description") or "").splitlines()
        return f"{data['error']}: {description[0][:200]}" if description else data["error"]
    return error_message(body)[0][:200]


def _auth_error(exc: TollwayError) -> TollwayError:
    exc.code = exc.code or "upstream_auth_error"
    return exc
