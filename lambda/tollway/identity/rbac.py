"""Role-based access control for the admin API: one place that says who may do what.

Roles (from the caller's ``AuthContext``):

* ``proxy_admin``: everything (the master key, admin users, mapped admin principals).
* ``proxy_admin_viewer``: every read, no mutation.
* ``team_admin``: keys, members and projects of the teams it administers (``admin_teams``),
  within those teams' limits; plus what an internal user may do.
* ``internal_user``: its own keys (``user_id``), its own user record, the teams it is in.

Each check raises PermissionDeniedError (403) with a message naming the action; list
routes instead narrow what they return with the ``can_*`` predicates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext


def deny(action: str) -> PermissionDeniedError:
    return PermissionDeniedError(f"Your role is not allowed to {action}.", code="forbidden")


def is_admin(auth: AuthContext) -> bool:
    return auth.role == "proxy_admin"


def can_read_all(auth: AuthContext) -> bool:
    return auth.role in ("proxy_admin", "proxy_admin_viewer")


def require_admin(auth: AuthContext, action: str) -> None:
    if not is_admin(auth):
        raise deny(action)


def require_reader(auth: AuthContext, action: str) -> None:
    if not can_read_all(auth):
        raise deny(action)


def administers(auth: AuthContext, team_id: str | None) -> bool:
    return is_admin(auth) or (team_id is not None and team_id in auth.admin_teams)


def member_of(auth: AuthContext, team_id: str | None) -> bool:
    return team_id is not None and (team_id in auth.member_teams or team_id in auth.admin_teams)


def _own(auth: AuthContext, record: dict[str, Any]) -> bool:
    return auth.user_id is not None and record.get("user_id") == auth.user_id


# ---------------------------------------------------------------------- keys

def can_read_key(auth: AuthContext, record: dict[str, Any]) -> bool:
    return (can_read_all(auth) or administers(auth, record.get("team_id")) or _own(auth, record)
            or (auth.key_digest is not None and record.get("token") == auth.key_digest))


def can_manage_key(auth: AuthContext, record: dict[str, Any]) -> bool:
    """Update, block, regenerate or delete an existing key."""
    return administers(auth, record.get("team_id")) or (
        _own(auth, record) and auth.role != "proxy_admin_viewer"
        and (record.get("team_id") is None or member_of(auth, record.get("team_id"))))


def require_key_create(auth: AuthContext, team_id: str | None, user_id: str | None) -> None:
    """Admins create any key; team admins keys of their teams; users keys of their own."""
    if administers(auth, team_id):
        return
    own = auth.user_id is not None and user_id == auth.user_id
    if own and auth.role != "proxy_admin_viewer" and (team_id is None or member_of(auth, team_id)):
        return
    raise deny("create this key")


def require_key_change(auth: AuthContext, record: dict[str, Any], action: str) -> None:
    if not can_manage_key(auth, record):
        raise deny(action)


def require_key_read(auth: AuthContext, record: dict[str, Any]) -> None:
    if not can_read_key(auth, record):
        raise deny("read this key")


# ---------------------------------------------------------------------- teams and projects

def can_read_team(auth: AuthContext, team_id: str) -> bool:
    return can_read_all(auth) or member_of(auth, team_id)


def require_team_read(auth: AuthContext, team_id: str) -> None:
    if not can_read_team(auth, team_id):
        raise deny("read this team")


def require_team_admin(auth: AuthContext, team_id: str, action: str) -> None:
    """Members and projects of a team: proxy admins and that team's admins."""
    if not administers(auth, team_id):
        raise deny(action)


# ---------------------------------------------------------------------- users

def require_user_read(auth: AuthContext, user_id: str) -> None:
    if not (can_read_all(auth) or auth.user_id == user_id):
        raise deny("read this user")
