"""The session cookie: HttpOnly, SameSite=Strict, Secure when the browser reached us over HTTPS."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tollway.ui.session import COOKIE

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from tollway.ui.session import Session


def is_https(request: Request) -> bool:
    """HTTPS as the browser sees it (API Gateway and the Lambda adapters say so in ``x-forwarded-proto``)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def set_session_cookie(request: Request, response: Response, token: str, session: Session) -> None:
    response.set_cookie(COOKIE, token, max_age=max(0, session.expires - int(time.time())), path="/",
                        httponly=True, secure=is_https(request), samesite="strict")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=is_https(request), samesite="strict")
