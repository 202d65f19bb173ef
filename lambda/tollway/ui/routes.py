"""``/ui``: the app shell and its assets, sign-in/out, the session, and the admin API as the session's caller.

Every ``/ui/api`` answer is JSON in OpenAI's error envelope on failure, like the rest of the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, RedirectResponse, Response

from tollway.api.bodies import parse_body
from tollway.api.deps import gateway_of
from tollway.api.routing import Router
from tollway.errors import AuthenticationError
from tollway.ui import access, guard, sso, static
from tollway.ui import session as sessions
from tollway.ui.cookies import clear_session_cookie, set_session_cookie
from tollway.ui.records import SignIn

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.auth.context import AuthContext
    from tollway.ui.session import Session

router = Router(include_in_schema=False)
router.include_router(sso.router)

_SHELL_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


@router.get("/ui")
async def ui_root() -> Response:
    return RedirectResponse("ui/", status_code=308)  # relative: keeps an API Gateway stage prefix


@router.get("/ui/")
async def ui_shell(request: Request) -> Response:
    response = static.asset_response("index.html", request.headers.get("accept-encoding", ""),
                                     cache="no-cache")
    response.headers.update(_SHELL_HEADERS)
    return response


@router.get("/ui/static/{name}")
async def ui_asset(request: Request) -> Response:
    return static.asset_response(str(request.path_params["name"]), request.headers.get("accept-encoding", ""),
                                 request.headers.get("if-none-match"))


@router.post("/ui/api/signin")
async def sign_in(request: Request) -> Response:
    guard.require_same_origin(request)
    body = await parse_body(request, SignIn)
    gateway = gateway_of(request)
    session = await access.sign_in_with_key(gateway, body.key)
    context = await access.context_of(gateway, session)
    response = JSONResponse(describe(session, context))
    set_session_cookie(request, response, sessions.encode(session, await access.signing_secret(gateway)),
                       session)
    return response


@router.post("/ui/api/signout")
async def sign_out(request: Request) -> Response:
    session = await current_session(request)
    guard.require_token(request, session)
    response = JSONResponse({"signed_out": True})
    clear_session_cookie(request, response)
    return response


@router.get("/ui/api/session")
async def whoami(request: Request) -> Response:
    from tollway.ui.oidc.settings import oidc_settings

    session = await current_session(request)
    context = await access.context_of(gateway_of(request), session)
    return JSONResponse({**describe(session, context), "sso": await oidc_settings(gateway_of(request)) is not None})


@router.get("/ui/api/config")
async def public_config(request: Request) -> Response:
    """What the sign-in page needs before anyone signs in."""
    from tollway.ui.oidc.settings import oidc_settings

    return JSONResponse({"sso": await oidc_settings(gateway_of(request)) is not None})


@router.api_route("/ui/api/admin/{path:path}", methods=["GET", "POST"])
async def admin(request: Request) -> Response:
    from tollway.ui.forward import forward

    session = await current_session(request)
    if request.method not in guard.SAFE_METHODS:
        guard.require_token(request, session)
    context = await access.context_of(gateway_of(request), session)
    return await forward(request, str(request.path_params["path"]), context)


async def current_session(request: Request) -> Session:
    session = sessions.decode(request.cookies.get(sessions.COOKIE),
                              await access.signing_secret(gateway_of(request)))
    if session is None:
        raise AuthenticationError("Not signed in, or the session expired: sign in again.", code="not_signed_in")
    return session


def describe(session: Session, context: AuthContext) -> dict[str, object]:
    return {"signed_in": True, "via": session.via, "role": context.role, "user_id": context.user_id,
            "team_id": context.team_id, "admin_teams": list(context.admin_teams),
            "key_alias": context.metadata.get("key_alias"), "expires": session.expires, "csrf": session.csrf,
            "can_write": context.role != "proxy_admin_viewer"}


@router.get("/ui/api/models")
async def models(request: Request) -> Response:
    """Deployments, prices and router health for the models page (any UI role may read it)."""
    from tollway.ui.models import models_view

    gateway = gateway_of(request)
    await access.context_of(gateway, await current_session(request))
    return JSONResponse(models_view(gateway))
