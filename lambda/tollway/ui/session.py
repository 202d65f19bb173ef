"""Stateless session tokens: ``base64url(json claims) . base64url(HMAC-SHA256)``, expiring.

The HMAC secret is derived from ``TOLLWAY_UI_SESSION_SECRET`` when set, else from the master key, so
every instance of the function agrees without shared storage and rotating the master key ends every
session. With neither (local open mode) a per-process random secret is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

COOKIE = "tollway_session"
DEFAULT_TTL_SECONDS = 8 * 3600
_PROCESS_SECRET = secrets.token_bytes(32)


@dataclass(frozen=True)
class Session:
    """Who signed in and how. ``via``: ``master_key``, ``virtual_key`` (``key_digest``) or ``sso``."""

    via: str
    expires: int
    csrf: str
    key_digest: str | None = None
    user_id: str | None = None
    role: str | None = None
    admin_teams: tuple[str, ...] = ()
    member_teams: tuple[str, ...] = ()

    def to_claims(self) -> dict[str, Any]:
        out: dict[str, Any] = {"via": self.via, "exp": self.expires, "csrf": self.csrf}
        for name, value in (("kd", self.key_digest), ("uid", self.user_id), ("role", self.role)):
            if value is not None:
                out[name] = value
        if self.admin_teams:
            out["at"] = list(self.admin_teams)
        if self.member_teams:
            out["mt"] = list(self.member_teams)
        return out

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Session:
        return cls(via=str(claims["via"]), expires=int(claims["exp"]), csrf=str(claims["csrf"]),
                   key_digest=claims.get("kd"), user_id=claims.get("uid"), role=claims.get("role"),
                   admin_teams=tuple(claims.get("at") or ()), member_teams=tuple(claims.get("mt") or ()))


def new_session(via: str, *, ttl: int = DEFAULT_TTL_SECONDS, **fields: Any) -> Session:
    return Session(via=via, expires=int(time.time()) + ttl, csrf=secrets.token_urlsafe(24), **fields)


def derive_secret(master_key: str | None, purpose: str = "session") -> bytes:
    """The signing key for ``purpose``: from ``TOLLWAY_UI_SESSION_SECRET``, else the master key, else per process."""
    configured = os.environ.get("TOLLWAY_UI_SESSION_SECRET") or master_key
    base = configured.encode() if configured else _PROCESS_SECRET
    return hmac.new(base, f"tollway-ui-{purpose}-v1".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(claims: dict[str, Any], secret: bytes) -> str:
    """Signed (not encrypted) claims; put nothing secret in them."""
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())}"


def unseal(token: str | None, secret: bytes, *, now: float | None = None) -> dict[str, Any] | None:
    """The claims of a sealed token, or None when missing, forged, malformed or past its ``exp``."""
    if not token or token.count(".") != 1 or len(token) > 4096:
        return None
    body, signature = token.split(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    try:
        claims = json.loads(_unb64(body))
        expires = float(claims["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    return claims if isinstance(claims, dict) and expires > (time.time() if now is None else now) else None


def encode(session: Session, secret: bytes) -> str:
    return seal(session.to_claims(), secret)


def decode(token: str | None, secret: bytes, *, now: float | None = None) -> Session | None:
    """The session in a cookie value, or None when missing, forged, malformed or expired."""
    claims = unseal(token, secret, now=now)
    if claims is None:
        return None
    try:
        return Session.from_claims(claims)
    except (ValueError, KeyError, TypeError):
        return None
