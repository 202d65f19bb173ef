"""``AuthContext``: what the rest of the request path knows about the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

Role = Literal["proxy_admin", "proxy_admin_viewer", "team_admin", "internal_user"]


@dataclass(frozen=True)
class Limits:
    """Budget and rate limits of one level (key, team, project, user, end user) of a caller.

    Identity fills these from its records; metering enforces every one that applies.
    """

    scope: Literal["key", "team", "project", "user", "end_user"]
    scope_id: str
    max_budget: float | None = None
    budget_duration: str | None = None
    soft_budget: float | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None


@dataclass(frozen=True)
class AuthContext:
    """An authenticated caller. ``models`` None means every model."""

    kind: Literal["master_key", "virtual_key", "iam", "sso", "anonymous"]
    role: Role = "internal_user"
    key_digest: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    project_id: str | None = None
    models: tuple[str, ...] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    limits: tuple[Limits, ...] = ()
    #: allowlists of the key's other levels (team, project, user); a model must pass every one
    model_levels: tuple[tuple[str, ...], ...] = ()
    #: teams where the caller's user is an admin / a member (for RBAC on admin routes)
    admin_teams: tuple[str, ...] = ()
    member_teams: tuple[str, ...] = ()
    #: the normalised IAM principal ARN when the caller came through API Gateway IAM auth
    principal: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "proxy_admin"

    def allows_model(self, model_name: str, *, provider_model: str | None = None,
                     access_groups: tuple[str, ...] = ()) -> bool:
        """Whether the caller may use a model group (by name, wildcard, provider model or access group).

        Every level must allow it: the key's ``models`` and each of ``model_levels``; an
        empty or missing list allows everything at that level.
        """
        levels = ((self.models,) if self.models else ()) + tuple(level for level in self.model_levels if level)
        return all(_allowed(level, model_name, provider_model, access_groups) for level in levels)


def _allowed(allowlist: tuple[str, ...], model_name: str, provider_model: str | None,
             access_groups: tuple[str, ...]) -> bool:
    for allowed in allowlist:
        if allowed in ("*", model_name) or allowed in access_groups:
            return True
        if fnmatchcase(model_name, allowed) or (provider_model and fnmatchcase(provider_model, allowed)):
            return True
    return False


MASTER = AuthContext(kind="master_key", role="proxy_admin")
ANONYMOUS_ADMIN = AuthContext(kind="anonymous", role="proxy_admin")
