"""Claims to role and teams: the strongest role wins, team grants add up, unmapped users are refused."""

from __future__ import annotations

import pytest

from tollway.errors import PermissionDeniedError
from tollway.ui.oidc.mapping import map_claims
from tollway.ui.oidc.settings import UiOidc

SETTINGS = UiOidc(issuer="https://idp.example", client_id="c", groups_claim="cognito:groups",
                  role_mappings={"admins": "proxy_admin", "@corp.example": "proxy_admin_viewer"},
                  team_mappings={"ml": "ml", "ml-leads": {"team_id": "ml", "role": "admin"}, "ops": ["ops", "infra"]})


def test_the_most_powerful_role_wins() -> None:
    mapped = map_claims(SETTINGS, {"sub": "1", "email": "a@corp.example", "cognito:groups": ["admins"]})
    assert (mapped.role, mapped.user_id) == ("proxy_admin", "a@corp.example")


def test_team_grants_make_a_team_admin() -> None:
    mapped = map_claims(SETTINGS, {"sub": "2", "email": "b@else.example", "cognito:groups": ["ml-leads", "ops"]})
    assert mapped.role == "team_admin"
    assert mapped.admin_teams == ("ml",) and mapped.member_teams == ("ml", "ops", "infra")


def test_an_unverified_email_domain_does_not_count() -> None:
    with pytest.raises(PermissionDeniedError):
        map_claims(SETTINGS, {"sub": "3", "email": "c@corp.example", "email_verified": False})


def test_membership_alone_is_not_enough_for_the_ui() -> None:
    with pytest.raises(PermissionDeniedError, match="not mapped"):
        map_claims(SETTINGS, {"sub": "4", "cognito:groups": ["ml"]})
