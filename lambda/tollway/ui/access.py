"""Who a UI session is: signing in with a key, and the ``AuthContext`` a session stands for on each request.

A session never stores a key. It names how the caller signed in; the context is rebuilt per request:
the master key's (the signing secret derives from it), a virtual key's through the key lookup by digest
(so blocking, deleting or expiring the key ends its sessions within the lookup's cache TTL), or the
role and teams an SSO sign-in was mapped to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway.auth.context import ANONYMOUS_ADMIN, MASTER, AuthContext
from tollway.errors import AuthenticationError, PermissionDeniedError
from tollway.ui import session as sessions

if TYPE_CHECKING:
    from tollway.gateway import Gateway
    from tollway.ui.session import Session

#: roles that may use the UI (an internal user has no admin pages to see)
UI_ROLES = ("proxy_admin", "proxy_admin_viewer", "team_admin")


async def signing_secret(gateway: Gateway) -> bytes:
    return sessions.derive_secret(await gateway.auth.master_key())


async def sign_in_with_key(gateway: Gateway, key: str) -> Session:
    """A new session for a master or virtual key; 401 for a bad key, 403 for a key without UI access."""
    key = key.strip()
    if gateway.auth.open_mode:
        found = await gateway.auth.authenticate({"authorization": f"Bearer {key}"}) if key else ANONYMOUS_ADMIN
    elif not key:
        raise AuthenticationError("Enter the master key or an admin key.", code="missing_api_key")
    else:
        found = await gateway.auth.authenticate({"authorization": f"Bearer {key}"})
    _require_ui_role(found)
    if found.kind == "master_key":
        return sessions.new_session("master_key")
    if found.kind == "anonymous":
        return sessions.new_session("open")
    return sessions.new_session("virtual_key", key_digest=found.key_digest)


async def context_of(gateway: Gateway, session: Session) -> AuthContext:
    """The caller a valid session stands for now; 401 if its key is gone, blocked or expired."""
    if session.via == "master_key":
        context = MASTER
    elif session.via == "open" and gateway.auth.open_mode:
        context = ANONYMOUS_ADMIN
    elif session.via == "virtual_key" and session.key_digest:
        lookup = gateway.auth.lookup
        authenticate_token = getattr(lookup, "authenticate_token", None)
        found = await authenticate_token(session.key_digest) if authenticate_token is not None else None
        if found is None:
            raise AuthenticationError("The key this session signed in with no longer exists.",
                                      code="session_expired")
        context = found
    elif session.via == "sso" and session.user_id and session.role:
        context = AuthContext(kind="sso", role=session.role,  # type: ignore[arg-type]
                              user_id=session.user_id, admin_teams=session.admin_teams,
                              member_teams=session.member_teams)
    else:
        raise AuthenticationError("Sign in again.", code="session_expired")
    _require_ui_role(context)
    return context


def _require_ui_role(context: AuthContext) -> None:
    if context.role not in UI_ROLES:
        raise PermissionDeniedError(
            "This key cannot use the admin UI: it needs the proxy_admin or proxy_admin_viewer role, "
            "or to administer a team.", code="ui_not_allowed")
