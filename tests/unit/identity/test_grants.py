"""The escalation rule (``rbac.speaks_for``/``may_hold``), controls that only tighten, and admin number ranges."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tollway.auth.context import AuthContext
from tollway.auth.levels import build_context
from tollway.errors import PermissionDeniedError
from tollway.identity import controls, rbac
from tollway.identity.records import KeyGenerate, TeamNew

TEAM_ADMIN = AuthContext(kind="virtual_key", role="team_admin", user_id="ta", admin_teams=("a",), member_teams=("a",))
MEMBER = AuthContext(kind="virtual_key", role="internal_user", user_id="m", member_teams=("a",))


def _owner(user_id: str, role: str = "internal_user", *teams: str) -> rbac.Owner:
    return rbac.Owner(user_id=user_id, role=role, teams=teams)


def test_a_team_admin_speaks_only_for_internal_users_wholly_in_its_teams() -> None:
    assert rbac.speaks_for(TEAM_ADMIN, None, None) and rbac.speaks_for(TEAM_ADMIN, "ta", None)
    assert rbac.speaks_for(TEAM_ADMIN, "m", _owner("m", "internal_user", "a"))
    for owner in (_owner("x", "proxy_admin", "a"), _owner("x", "proxy_admin_viewer", "a"),
                  _owner("x", "internal_user", "a", "b"), _owner("x", "internal_user"),
                  _owner("y", "internal_user", "a")):
        assert not rbac.speaks_for(TEAM_ADMIN, "x", owner), owner
    assert not rbac.speaks_for(TEAM_ADMIN, "x", None)  # named but unknown: only proxy admins


def test_may_hold() -> None:
    member = _owner("m", "internal_user", "a")
    assert rbac.may_hold(TEAM_ADMIN, "a", "m", member) and rbac.may_hold(TEAM_ADMIN, "a", None, None)
    assert not rbac.may_hold(TEAM_ADMIN, "b", None, None) and not rbac.may_hold(TEAM_ADMIN, None, "m", member)
    assert rbac.may_hold(MEMBER, "a", "m", None) and rbac.may_hold(MEMBER, None, "m", None)
    assert not rbac.may_hold(MEMBER, "a", "ta", _owner("ta", "internal_user", "a"))
    assert not rbac.may_hold(MEMBER, "b", "m", None)
    with pytest.raises(PermissionDeniedError, match="whose rights are not yours"):
        rbac.require_key_create(TEAM_ADMIN, "a", "boss", _owner("boss", "proxy_admin", "a"))


BOUND = {"token": "t", "team_id": "a", "models": ["gpt-*"], "max_budget": 5, "rpm_limit": 10, "blocked": True,
         "expires": "2030-01-01T00:00:00.000000Z", "budget_duration": "30d", "guardrails": ["pii"]}


@pytest.mark.parametrize(("change", "field"), [
    ({"max_budget": None}, "max_budget"), ({"max_budget": 6}, "max_budget"), ({"rpm_limit": 11}, "rpm_limit"),
    ({"models": []}, "models"), ({"models": ["claude"]}, "models"), ({"models": None}, "models"),
    ({"blocked": False}, "blocked"), ({"expires": None}, "duration"),
    ({"expires": "2030-01-01T00:00:00.000001Z"}, "duration"), ({"budget_duration": "1d"}, "budget_duration"),
    ({"guardrails": []}, "guardrails"), ({"team_id": None}, "team_id"), ({"team_id": "b"}, "team_id"),
])
def test_each_looser_control_is_named(change: dict[str, object], field: str) -> None:
    assert controls.loosened({**BOUND, **change}, BOUND) == [field]
    with pytest.raises(PermissionDeniedError) as raised:
        controls.require_no_looser({**BOUND, **change}, BOUND, action="change this key")
    assert raised.value.param == field


def test_tighter_or_equal_controls_pass() -> None:
    tighter = {**BOUND, "max_budget": 1, "models": ["gpt-4o"], "expires": "2029-01-01T00:00:00Z",
               "guardrails": [], "metadata": {"guardrails": ["pii"]}}
    assert controls.loosened(tighter, BOUND) == []
    presented = {**BOUND, "blocked": False}  # the key a caller authenticated with is never blocked
    assert controls.loosened(controls.inherit({"user_id": "m"}, presented), presented) == []
    assert controls.inherit({"max_budget": 1}, presented)["max_budget"] == 1


def test_metadata_guardrails_add_to_the_keys() -> None:
    context = build_context("virtual_key", key={"token": "t", "guardrails": ["pii"],
                                                "metadata": {"guardrails": ["injection"]}})
    assert context.metadata["guardrails"] == ["pii", "injection"]


@pytest.mark.parametrize("body", [{"max_budget": 1e200}, {"max_budget": 5e-324}, {"soft_budget": float("inf")},
                                  {"rpm_limit": 10**13}, {"metadata": {"x": 1e300}}, {"metadata": {"": 1}},
                                  {"metadata": {"x": int("1" * 39)}}, {"duration": "36501d"}, {"key_alias": "a" * 257}])
def test_out_of_range_admin_numbers_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        KeyGenerate.model_validate(body)


def test_values_at_the_edges_are_accepted() -> None:
    KeyGenerate.model_validate({"max_budget": 1e9, "soft_budget": 0, "rpm_limit": 10**12, "duration": "36500d",
                                "metadata": {"a": [9.99e125, -1e-130, 0.0, int("9" * 38), None, True, "x"]}})
    TeamNew.model_validate({"team_id": "t", "max_budget": 1e-9})
