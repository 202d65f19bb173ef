"""OAuth access tokens for Vertex AI through google-auth (an optional, lazily imported dependency).

Credentials come from ``litellm_params.vertex_credentials`` (a service-account or other
google-auth JSON document, given inline, as a file path, or as a secret reference resolved
by the caller) or, when absent, from application default credentials. One ``TokenSource``
per distinct credential is shared by every deployment using it; its token is reused until
``REFRESH_MARGIN`` seconds before expiry. Refreshing is blocking I/O, so it runs in a
thread, and a lock makes concurrent requests wait for one refresh instead of stampeding.
Failures never carry the credential or the token endpoint's answer in their message.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import threading
from typing import Any

from tollway.errors import InternalError, UpstreamError

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
REFRESH_MARGIN = datetime.timedelta(seconds=300)
TOKEN_TIMEOUT = 30.0

_sources: dict[str, TokenSource] = {}
_sources_lock = threading.Lock()
_http: Any = None


class TokenSource:
    """Access tokens for one credential (``raw`` = its JSON text or file path; None = ADC)."""

    def __init__(self, raw: str | None) -> None:
        self._raw = raw
        self._lock = threading.Lock()
        self._credentials: Any = None
        self.project: str | None = None

    async def token(self) -> str:
        credentials = self._credentials
        if credentials is not None and _fresh(credentials):
            return str(credentials.token)
        return await asyncio.to_thread(self._refresh)

    async def load(self) -> None:
        """Load the credentials (and their project) without fetching a token."""
        if self._credentials is None:
            await asyncio.to_thread(self._load_locked)

    def _load_locked(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> None:
        if self._credentials is not None:
            return
        try:
            import google.auth
            from google.auth import exceptions
        except ImportError:
            raise InternalError("vertex_ai needs the 'google-auth' package (pip install google-auth)") from None
        try:
            if self._raw is None:
                self._credentials, self.project = google.auth.default(scopes=SCOPES)
            else:
                info = _credential_info(self._raw)
                self._credentials = _from_info(info)
                self.project = info.get("project_id") or info.get("quota_project_id")
        except exceptions.DefaultCredentialsError as exc:
            what = "application default credentials" if self._raw is None else "litellm_params.vertex_credentials"
            raise InternalError(f"vertex_ai: no usable Google credentials ({what}: {type(exc).__name__})") from None

    def _refresh(self) -> str:
        with self._lock:
            self._load()
            credentials = self._credentials
            if _fresh(credentials):
                return str(credentials.token)
            from google.auth import exceptions
            from google.auth.transport.urllib3 import Request

            try:
                credentials.refresh(Request(_pool()))  # type: ignore[no-untyped-call]
            except (exceptions.RefreshError, exceptions.TransportError) as exc:
                raise UpstreamError(
                    f"vertex_ai: could not obtain an access token for the gateway's credentials ({type(exc).__name__})",
                    code="upstream_auth_error",
                ) from None
            return str(credentials.token)


def token_source(raw: str | None) -> TokenSource:
    """The shared source for a credential (keyed by a digest, never by the secret itself)."""
    key = "adc" if raw is None else hashlib.sha256(raw.encode()).hexdigest()
    with _sources_lock:
        source = _sources.get(key)
        if source is None:
            source = _sources[key] = TokenSource(raw)
        return source


def reset() -> None:
    """Forget every cached credential and token (tests, credential rotation)."""
    with _sources_lock:
        _sources.clear()


def _fresh(credentials: Any) -> bool:
    if credentials is None or not credentials.token:
        return False
    expiry = credentials.expiry  # naive UTC, as google-auth keeps it
    if expiry is None:
        return True
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return bool(expiry - now > REFRESH_MARGIN)


def _credential_info(raw: str) -> dict[str, Any]:
    text = raw.strip()
    if not text.startswith("{"):
        try:
            with open(text, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            raise InternalError("vertex_ai: the vertex_credentials file could not be read") from None
    try:
        info = json.loads(text)
    except ValueError:
        raise InternalError("vertex_ai: vertex_credentials is not valid JSON") from None
    if not isinstance(info, dict):
        raise InternalError("vertex_ai: vertex_credentials must be a JSON object")
    return info


def _from_info(info: dict[str, Any]) -> Any:
    """Credentials of the few types a gateway should accept, each through its own loader
    (google-auth's generic loader would accept any configuration, which is a known risk)."""
    kind = info.get("type")
    try:
        if kind == "service_account":
            from google.oauth2 import service_account

            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
        if kind == "authorized_user":
            from google.oauth2 import credentials

            return credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
        if kind == "external_account":
            source = info.get("credential_source") or {}
            if str(source.get("environment_id", "")).startswith("aws"):
                from google.auth import aws

                return aws.Credentials.from_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
            from google.auth import identity_pool

            return identity_pool.Credentials.from_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
    except (ValueError, KeyError) as exc:
        raise InternalError(f"vertex_ai: vertex_credentials of type '{kind}' are incomplete "
                            f"({type(exc).__name__})") from None
    raise InternalError(f"vertex_ai: unsupported vertex_credentials type '{kind}' "
                        "(use service_account, authorized_user or external_account)")


def _pool() -> Any:
    global _http
    if _http is None:
        import urllib3

        _http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=10.0, read=TOKEN_TIMEOUT))
    return _http
