"""Model allowlists across levels, contexts built from records, and the RBAC predicates."""

from __future__ import annotations

import pytest

from tollway.auth.context import AuthContext
from tollway.auth.levels import build_context
from tollway.errors import PermissionDeniedError
from tollway.identity import rbac
from tollway.identity.keys import within_team_limits


def test_every_level_must_allow_the_model() -> None:
    ctx = AuthContext(kind="virtual_key", models=("gpt-*", "cheap"), model_levels=(("gpt-4o", "claude"), ()))
    assert ctx.allows_model("gpt-4o")
    assert not ctx.allows_model("gpt-4.1")  # the key allows it, the team does not
    assert not ctx.allows_model("claude")  # the team allows it, the key does not
    assert ctx.allows_model("claude", access_groups=("cheap",))  # by group for the key, by name for the team
    assert not ctx.allows_model("mistral", access_groups=("cheap",))  # the group passes the key, not the team
    grouped = AuthContext(kind="virtual_key", models=("cheap",), model_levels=(("cheap",),))
    assert grouped.allows_model("anything", access_groups=("cheap",))
    provider = AuthContext(kind="virtual_key", models=("anthropic/*",))
    assert provider.allows_model("claude", provider_model="anthropic/claude-3-5")
    assert AuthContext(kind="virtual_key", models=None, model_levels=((),)).allows_model("x")


def test_build_context_roles_and_limits() -> None:
    key = {"token": "t" * 64, "team_id": "eng", "user_id": "ana", "models": ["gpt-4o"], "rpm_limit": 5,
           "key_alias": "a", "metadata": {"env": "prod"}}
    team = {"team_id": "eng", "models": ["gpt-*"], "max_budget": 10, "budget_duration": "30d"}
    user = {"user_id": "ana", "user_role": "internal_user"}
    ctx = build_context("virtual_key", key=key, team=team, user=user,
                        memberships=[{"team_id": "eng", "role": "admin"}, {"team_id": "ops", "role": "user"}])
    assert ctx.role == "team_admin" and ctx.admin_teams == ("eng",) and ctx.member_teams == ("eng", "ops")
    assert [limit.scope for limit in ctx.limits] == ["key", "team", "user"]
    assert ctx.limits[0].rpm_limit == 5 and ctx.limits[1].max_budget == 10
    assert ctx.models == ("gpt-4o",) and ctx.model_levels == (("gpt-*",), ())
    assert ctx.metadata["env"] == "prod" and ctx.metadata["key_alias"] == "a"
    admin = build_context("virtual_key", key={"token": "x"}, user={"user_id": "z", "user_role": "proxy_admin"})
    assert admin.role == "proxy_admin" and admin.models is None
    assert build_context("iam", role="bogus").role == "internal_user"


def _ctx(role: str, **fields: object) -> AuthContext:
    return AuthContext(kind="virtual_key", role=role, **fields)  # type: ignore[arg-type]


def test_key_predicates() -> None:
    viewer = _ctx("proxy_admin_viewer", user_id="v")
    team_admin = _ctx("team_admin", user_id="ta", admin_teams=("a",), member_teams=("a",))
    member = _ctx("internal_user", user_id="m", member_teams=("a",))
    in_a, in_b, own = {"team_id": "a", "token": "1"}, {"team_id": "b", "token": "2"}, {"user_id": "m", "token": "3"}
    assert rbac.can_read_key(viewer, in_b) and not rbac.can_manage_key(viewer, in_b)
    assert not rbac.can_manage_key(viewer, {"user_id": "v"})  # read-only even for its own keys
    assert rbac.can_manage_key(team_admin, in_a) and not rbac.can_manage_key(team_admin, in_b)
    assert rbac.can_manage_key(member, own) and not rbac.can_read_key(member, in_a)
    assert rbac.can_read_key(_ctx("internal_user", key_digest="2"), in_b)  # a key may read itself
    rbac.require_key_create(member, "a", "m")
    with pytest.raises(PermissionDeniedError):
        rbac.require_key_create(member, "b", "m")
    with pytest.raises(PermissionDeniedError):
        rbac.require_key_create(member, None, "someone-else")


def test_team_limits_bound_a_team_admins_keys() -> None:
    team = {"max_budget": 10, "rpm_limit": 100, "models": ["gpt-*"]}
    within_team_limits({"max_budget": 10, "rpm_limit": 5, "models": ["gpt-4o"]}, team)
    within_team_limits({}, team)
    for fields in ({"max_budget": 11}, {"rpm_limit": 101}, {"models": ["claude"]}):
        with pytest.raises(PermissionDeniedError):
            within_team_limits(fields, team)


def test_cache_forgets_only_keys_that_depend_on_a_change() -> None:
    import time

    from tollway.auth.key_lookup import CachedKeyLookup, _Outcome

    lookup = CachedKeyLookup(repo=None, ttl=60)  # type: ignore[arg-type]
    later = time.monotonic() + 60

    def cached(token: str, **fields: str) -> None:
        lookup._remember(token, _Outcome(AuthContext(kind="virtual_key", **fields), None, None, later))  # type: ignore[arg-type]

    cached("k1", team_id="t1", user_id="u1")
    cached("k2", team_id="t2", user_id="u2", project_id="p2")
    cached("k3", user_id="u3")
    lookup._remember("k4", _Outcome(None, "team_blocked", None, later))
    lookup.forget_touched({("key", "new"), ("alias", "x")})
    assert set(lookup._cache) == {"k1", "k2", "k3", "k4"}
    lookup.forget_touched({("team", "t1")})
    assert set(lookup._cache) == {"k2", "k3"}
    lookup.forget_touched({("project", "p2")})
    lookup.forget_touched({("member", "t9/u3")})
    assert set(lookup._cache) == set()
