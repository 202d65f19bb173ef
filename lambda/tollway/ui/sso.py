"""``/ui/sso/login`` and ``/ui/sso/callback``: OIDC authorization code + PKCE, ending in a UI session.

The flow's state, nonce and PKCE verifier ride in a short-lived signed cookie (SameSite=Lax: it must
come back on the issuer's redirect). The callback answers a page that navigates on to ``/ui/``
itself, so the SameSite=Strict session cookie is sent on that same-site navigation.
"""

from __future__ import annotations

import hmac
import html
import secrets
import time
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse, RedirectResponse, Response

from tollway.api.deps import gateway_of
from tollway.api.routing import Router
from tollway.config import secrets as secret_refs
from tollway.errors import AuthenticationError, NotFoundError, TollwayError
from tollway.ui import access
from tollway.ui import session as sessions
from tollway.ui.cookies import is_https, set_session_cookie

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.ui.oidc.settings import UiOidc

router = Router(include_in_schema=False)
FLOW_COOKIE = "tollway_sso"
FLOW_SECONDS = 600


async def _settings(request: Request) -> UiOidc:
    from tollway.ui.oidc.settings import oidc_settings

    settings = await oidc_settings(gateway_of(request))
    if settings is None:
        raise NotFoundError("SSO is not configured (general_settings.ui_oidc).", code="sso_not_configured")
    return settings


def _redirect_uri(request: Request, settings: UiOidc) -> str:
    return settings.redirect_uri or f"{str(request.base_url).rstrip('/')}/ui/sso/callback"


async def _flow_secret(request: Request) -> bytes:
    return sessions.derive_secret(await gateway_of(request).auth.master_key(), "sso-flow")


@router.get("/ui/sso/login")
async def login(request: Request) -> Response:
    from tollway.ui.oidc import provider
    settings = await _settings(request)
    document = await provider.discovery(settings.issuer)
    verifier, challenge = provider.pkce_pair()
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    flow = {"state": state, "nonce": nonce, "verifier": verifier, "exp": int(time.time()) + FLOW_SECONDS}
    target = provider.authorization_url(document, client_id=settings.client_id,
                                        redirect_uri=_redirect_uri(request, settings), scopes=settings.scopes,
                                        state=state, nonce=nonce, challenge=challenge)
    response = RedirectResponse(target, status_code=302)
    response.set_cookie(FLOW_COOKIE, sessions.seal(flow, await _flow_secret(request)), max_age=FLOW_SECONDS,
                        path="/", httponly=True, secure=is_https(request), samesite="lax")
    return response


@router.get("/ui/sso/callback")
async def callback(request: Request) -> Response:
    try:
        return await _complete(request)
    except TollwayError as exc:
        page = (f"<!doctype html><title>Sign-in failed</title><main id=sso-error><h1>Sign-in failed</h1>"
                f"<p>{html.escape(exc.message)}</p><p><a href='../'>Back to sign-in</a></p></main>")
        response = HTMLResponse(page, status_code=exc.status_code)
        response.delete_cookie(FLOW_COOKIE, path="/")
        return response


async def _complete(request: Request) -> Response:
    from tollway.ui.oidc import idtoken, provider
    from tollway.ui.oidc.mapping import map_claims

    settings = await _settings(request)
    params = request.query_params
    if params.get("error"):
        raise AuthenticationError(f"The SSO provider said: {params.get('error_description') or params['error']}.",
                                  code="sso_denied")
    flow = sessions.unseal(request.cookies.get(FLOW_COOKIE), await _flow_secret(request))
    state, code = params.get("state", ""), params.get("code", "")
    if flow is None or not state or not hmac.compare_digest(state.encode(), str(flow.get("state")).encode()):
        raise AuthenticationError("This sign-in link is stale or was not started here; start again.",
                                  code="sso_state_mismatch")
    if not code:
        raise AuthenticationError("The SSO provider sent no code.", code="sso_denied")
    document = await provider.discovery(settings.issuer)
    token = await provider.exchange_code(
        document, code=code, redirect_uri=_redirect_uri(request, settings), verifier=str(flow["verifier"]),
        client_id=settings.client_id, client_secret=await secret_refs.aresolve(settings.client_secret))
    verify = {"issuer": settings.issuer, "client_id": settings.client_id, "nonce": str(flow["nonce"])}
    try:
        claims = idtoken.verify(token, await provider.jwks(document), **verify)
    except idtoken.UnknownSigningKey:
        claims = idtoken.verify(token, await provider.jwks(document, fresh=True), **verify)
    mapped = map_claims(settings, claims)
    session = sessions.new_session("sso", ttl=int(settings.session_hours * 3600), user_id=mapped.user_id,
                                   role=mapped.role, admin_teams=mapped.admin_teams,
                                   member_teams=mapped.member_teams)
    response = HTMLResponse("<!doctype html><title>Signed in</title><meta http-equiv='refresh' content='0; url=../'>"
                            "<p>Signed in. <a href='../'>Continue to Tollway</a></p>")
    set_session_cookie(request, response, sessions.encode(session, await access.signing_secret(gateway_of(request))),
                       session)
    response.delete_cookie(FLOW_COOKIE, path="/")
    return response
