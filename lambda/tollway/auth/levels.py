"""Building an ``AuthContext`` from identity records (key, team, project, user, memberships).

Shared by the virtual-key lookup and the IAM principal resolver, so both give metering the
same ``limits`` (one per level present) and routing the same model allowlists.
"""

from __future__ import annotations

from typing import Any, Literal

from tollway.auth.context import AuthContext, Limits, Role
from tollway.routing.tags import merged

_CAPS = ("max_budget", "budget_duration", "soft_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")
_ROLES = ("proxy_admin", "proxy_admin_viewer", "team_admin", "internal_user")


def limits_of(scope: Literal["key", "team", "project", "user"], scope_id: str, record: dict[str, Any]) -> Limits:
    return Limits(scope=scope, scope_id=scope_id, **{cap: record.get(cap) for cap in _CAPS})


def _tags(*records: dict[str, Any] | None) -> list[str]:
    """The tags of ``records`` (each one's ``tags``, then its ``metadata.tags``) in order, without repeats."""
    sources: list[Any] = []
    for record in records:
        if record is not None:
            metadata = record.get("metadata")
            sources += [record.get("tags"), metadata.get("tags") if isinstance(metadata, dict) else None]
    return merged(*sources)


def build_context(
    kind: Literal["virtual_key", "iam"],
    *,
    key: dict[str, Any] | None = None,
    team: dict[str, Any] | None = None,
    project: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
    memberships: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    role: str | None = None,
    principal: str | None = None,
) -> AuthContext:
    """The caller's context: role, ids, every level's limits and model allowlists."""
    admin_teams = tuple(m["team_id"] for m in memberships if m.get("role") == "admin")
    member_teams = tuple(m["team_id"] for m in memberships)
    chosen = role or (user or {}).get("user_role") or "internal_user"
    if chosen == "internal_user" and admin_teams:
        chosen = "team_admin"
    effective: Role = chosen if chosen in _ROLES else "internal_user"  # type: ignore[assignment]
    limits: list[Limits] = []
    if key is not None:
        # the first digest: a regenerated key's budget and limits go on counting (identity.keys.counter_id)
        limits.append(limits_of("key", str(key.get("counter_id") or key["token"]), key))
    for scope, record, ident in (("team", team, "team_id"), ("project", project, "project_id"),
                                 ("user", user, "user_id")):
        if record is not None:
            limits.append(limits_of(scope, record[ident], record))  # type: ignore[arg-type]
    key_models = tuple((key or {}).get("models") or ()) or None
    levels = tuple(tuple(r.get("models") or ()) for r in (team, project, user) if r is not None)
    metadata = dict((key or {}).get("metadata") or {})
    # the request's tags gain these, in this order (LiteLLM's: the key's, then its team's, then its project's),
    # each record's ``tags`` field and the ``tags`` of its ``metadata`` alike
    tags = _tags(key, team, project)
    if tags or key is not None:
        metadata["tags"] = tags
    if key is not None:
        metadata.setdefault("key_alias", key.get("key_alias"))
        named = metadata.get("guardrails")  # LiteLLM's place for them; the key's field adds to it, never hides it
        metadata["guardrails"] = list(dict.fromkeys([*(key.get("guardrails") or []),
                                                     *(named if isinstance(named, list) else [])]))
    if team is not None and team.get("guardrails"):
        metadata["team_guardrails"] = list(team["guardrails"])
    return AuthContext(
        kind=kind, role=effective, key_digest=(key or {}).get("token"),
        team_id=(team or {}).get("team_id") or (key or {}).get("team_id"),
        user_id=(user or {}).get("user_id") or (key or {}).get("user_id"),
        project_id=(project or {}).get("project_id") or (key or {}).get("project_id"),
        models=key_models, model_levels=levels, metadata=metadata, limits=tuple(limits),
        admin_teams=admin_teams, member_teams=member_teams, principal=principal,
    )
