"""Talking to the OIDC issuer: discovery, JWKS and the token endpoint (httpx, async), with caching.

Discovery and JWKS are cached per issuer for ``CACHE_SECONDS``; an ID token signed by an unknown
``kid`` refreshes the JWKS once (key rotation) before it is refused.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from tollway.errors import AuthenticationError, UpstreamError

CACHE_SECONDS = 3600.0
TIMEOUT = httpx.Timeout(10.0)
_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def _get_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    hit = _cache.get(url)
    if hit is not None and not fresh and hit[0] > time.monotonic():
        return hit[1]
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.get(url, headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        raise UpstreamError(f"The SSO provider could not be reached ({type(exc).__name__}).",
                            code="sso_unreachable") from None
    if response.status_code != 200:
        raise UpstreamError(f"The SSO provider answered {response.status_code} for {url}.", code="sso_unreachable")
    document = response.json()
    if not isinstance(document, dict):
        raise UpstreamError(f"The SSO provider sent no JSON object from {url}.", code="sso_unreachable")
    _cache[url] = (time.monotonic() + CACHE_SECONDS, document)
    return document


async def discovery(issuer: str) -> dict[str, Any]:
    """The issuer's OpenID configuration; its ``issuer`` must be exactly the configured one."""
    document = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if document.get("issuer") != issuer:
        raise UpstreamError(f"The SSO provider's discovery names issuer '{document.get('issuer')}', "
                            f"not '{issuer}'.", code="sso_issuer_mismatch")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(field), str):
            raise UpstreamError(f"The SSO provider's discovery lacks '{field}'.", code="sso_unreachable")
    return document


async def jwks(document: dict[str, Any], *, fresh: bool = False) -> dict[str, Any]:
    return await _get_json(str(document["jwks_uri"]), fresh=fresh)


def authorization_url(document: dict[str, Any], *, client_id: str, redirect_uri: str, scopes: list[str],
                      state: str, nonce: str, challenge: str) -> str:
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                       "scope": " ".join(scopes), "state": state, "nonce": nonce,
                       "code_challenge": challenge, "code_challenge_method": "S256"})
    endpoint = str(document["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


async def exchange_code(document: dict[str, Any], *, code: str, redirect_uri: str, verifier: str,
                        client_id: str, client_secret: str | None) -> str:
    """The ID token for an authorization code (client_secret_basic when there is a secret)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier, "client_id": client_id}
    headers = {"accept": "application/json"}
    if client_secret:
        # RFC 6749 2.3.1: both parts form-urlencoded, then HTTP Basic
        pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
        headers["authorization"] = "Basic " + base64.b64encode(pair).decode()
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(str(document["token_endpoint"]), data=form, headers=headers)
    except httpx.HTTPError as exc:
        raise UpstreamError(f"The SSO provider could not be reached ({type(exc).__name__}).",
                            code="sso_unreachable") from None
    if response.status_code >= 500:
        raise UpstreamError(f"The SSO provider failed ({response.status_code}); try again.", code="sso_unreachable")
    if response.status_code != 200:
        raise AuthenticationError(f"The SSO provider refused the sign-in code ({response.status_code}).",
                                  code="sso_code_refused")
    token = response.json().get("id_token") if response.headers.get("content-type", "").startswith(
        "application/json") else None
    if not isinstance(token, str):
        raise AuthenticationError("The SSO provider returned no ID token.", code="sso_no_id_token")
    return token


def clear_cache() -> None:
    _cache.clear()
