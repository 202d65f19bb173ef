"""From ID-token claims to a Tollway caller: user id, role and team memberships.

The most powerful role any matching key grants wins; team grants add up. A team admin grant makes an
otherwise unprivileged user a ``team_admin``. A user whom nothing maps is refused (no default access).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from tollway.ui.oidc.settings import UiOidc

_RANK = ("internal_user", "team_admin", "proxy_admin_viewer", "proxy_admin")


@dataclass(frozen=True)
class Mapped:
    user_id: str
    role: str
    admin_teams: tuple[str, ...]
    member_teams: tuple[str, ...]


def match_keys(settings: UiOidc, claims: dict[str, Any]) -> list[str]:
    """The mapping keys these claims carry: each group, and ``@domain`` of a verified email."""
    groups = claims.get(settings.groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    keys = [str(group) for group in groups if isinstance(group, str | int)]
    email = claims.get("email")
    if isinstance(email, str) and "@" in email and claims.get("email_verified", True) in (True, "true"):
        keys.append("@" + email.rsplit("@", 1)[1].lower())
    return keys


def map_claims(settings: UiOidc, claims: dict[str, Any]) -> Mapped:
    keys = match_keys(settings, claims)
    roles = [settings.role_mappings[key] for key in keys if key in settings.role_mappings]
    admin: list[str] = []
    member: list[str] = []
    for key in keys:
        for grant in settings.grants(key):
            if grant.role == "admin" and grant.team_id not in admin:
                admin.append(grant.team_id)
            if grant.team_id not in member:
                member.append(grant.team_id)
    role = max(roles, key=_RANK.index) if roles else "internal_user"
    if role == "internal_user" and admin:
        role = "team_admin"
    if role == "internal_user":
        raise PermissionDeniedError("Your account is not mapped to a Tollway role or team; ask an admin to "
                                    "add your group or email domain to ui_oidc.", code="sso_not_mapped")
    user = claims.get(settings.user_claim) or claims.get("sub")
    return Mapped(user_id=str(user), role=role, admin_teams=tuple(admin), member_teams=tuple(member))
