"""Role-based access control for the admin API: one place that says who may do what.

Roles (from the caller's ``AuthContext``):

* ``proxy_admin``: everything (the master key, admin users, mapped admin principals).
* ``proxy_admin_viewer``: every read, no mutation.
* ``team_admin``: keys, members and projects of the teams it administers (``admin_teams``),
  within those teams' limits; plus what an internal user may do.
* ``internal_user``: its own keys (``user_id``), its own user record, the teams it is in.

The rule against escalation: a key carries the rights of its owner (the user's role and
team memberships), so a caller may only create, change or re-issue a key whose owner it
*speaks for* — itself, or (a team admin) an internal user all of whose teams it
administers — and only in a team it may use. Controls a key carries are the business of
``identity.controls``.

Each check raises PermissionDeniedError (403) with a message naming the action; list
routes instead narrow what they return with the ``can_*`` predicates.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Owner:
    """The user a key belongs to: the key acts with this role and these team memberships."""

    user_id: str
    role: str
    teams: tuple[str, ...]


def speaks_for(auth: AuthContext, user_id: str | None, owner: Owner | None) -> bool:
    """Whether the caller holds every right a key owned by ``user_id`` would carry.

    No owner, the caller itself, or (for admins of teams) an internal user every one of
    whose teams the caller administers. An owner that is named but unknown (``owner`` None)
    is spoken for only by proxy admins.
    """
    if user_id is None or is_admin(auth) or (auth.user_id is not None and user_id == auth.user_id):
        return True
    return (owner is not None and owner.user_id == user_id and owner.role == "internal_user"
            and bool(owner.teams) and set(owner.teams) <= set(auth.admin_teams))


# ---------------------------------------------------------------------- keys

def can_read_key(auth: AuthContext, record: dict[str, Any]) -> bool:
    return (can_read_all(auth) or administers(auth, record.get("team_id")) or _own(auth, record)
            or (auth.key_digest is not None and record.get("token") == auth.key_digest))


def can_manage_key(auth: AuthContext, record: dict[str, Any], owner: Owner | None = None) -> bool:
    """Update, block, regenerate or delete an existing key (``owner``: the record's user)."""
    return may_hold(auth, record.get("team_id"), record.get("user_id"), owner)


def may_hold(auth: AuthContext, team_id: str | None, user_id: str | None, owner: Owner | None) -> bool:
    """Whether the caller may create (or hold the management of) a key of this team and owner.

    Admins: any key. Team admins: keys of the teams they administer whose owner they speak
    for. Everyone but viewers: keys of their own, in no team or a team they are in.
    """
    if is_admin(auth):
        return True
    if team_id is not None and team_id in auth.admin_teams and speaks_for(auth, user_id, owner):
        return True
    own = auth.user_id is not None and user_id == auth.user_id
    return own and auth.role != "proxy_admin_viewer" and (team_id is None or member_of(auth, team_id))


def require_key_create(auth: AuthContext, team_id: str | None, user_id: str | None,
                       owner: Owner | None = None) -> None:
    if not may_hold(auth, team_id, user_id, owner):
        raise deny("create this key" if user_id in (None, auth.user_id)
                   else f"create or move a key for user '{user_id}', whose rights are not yours to give")


def require_key_change(auth: AuthContext, record: dict[str, Any], action: str, owner: Owner | None = None) -> None:
    if not can_manage_key(auth, record, owner):
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

ADMIN_ROLES = frozenset({"proxy_admin", "proxy_admin_viewer"})


def require_role_grant(auth: AuthContext, role: str | None, action: str) -> None:
    """Only an authenticated proxy admin gives a user or IAM principal an admin role.

    In open mode (no master key) the anonymous caller is a proxy admin for everything else,
    but an admin user it made would hold a lasting admin key once a master key is set.
    """
    require_admin(auth, action)
    if role in ADMIN_ROLES and auth.kind == "anonymous":
        raise PermissionDeniedError(
            f"Anonymous callers (no master key configured) may not give the role '{role}'; "
            "configure a master key and use it.", param="user_role", code="forbidden")


def require_user_read(auth: AuthContext, user_id: str) -> None:
    if not (can_read_all(auth) or auth.user_id == user_id):
        raise deny("read this user")
