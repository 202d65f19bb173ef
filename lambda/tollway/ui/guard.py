"""CSRF protection for UI state changes: a same-origin check plus the session's token in a header.

The token is bound to the signed session (it is one of its claims), so a forged request needs both the
cookie, which SameSite=Strict keeps off cross-site requests, and the token, which only a same-origin
script can read (from ``GET /ui/api/session``).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.ui.session import Session

HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(request: Request) -> bool:
    """Whether ``Origin`` (or, lacking it, ``Referer``) names this host; absent both, only non-browser callers."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or ""
    return urlsplit(source).netloc.lower() == host.lower()


def require_same_origin(request: Request) -> None:
    if not same_origin(request):
        raise PermissionDeniedError("Cross-site request refused.", code="csrf_failed")


def require_token(request: Request, session: Session) -> None:
    """Refuse a state change without this session's CSRF token (403 ``csrf_failed``)."""
    require_same_origin(request)
    sent = request.headers.get(HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise PermissionDeniedError("Missing or wrong CSRF token: reload the page and try again.",
                                    code="csrf_failed")
