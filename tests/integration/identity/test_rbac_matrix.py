"""Every admin route against every role: the status each role gets is exactly the policy's.

Roles: the master key, a ``proxy_admin`` user, a ``proxy_admin_viewer`` user, a team admin
of team A and an internal user in team A. "A" targets belong to the team the team admin
runs; "B" targets to a team neither belongs to. Each mutating case makes fresh targets
(as the master key) so the order of calls does not matter.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.integration.identity.conftest import Admin

ROLES = ("master", "admin_user", "viewer", "team_admin", "member")
ALL = dict.fromkeys(ROLES, 200)
ADMINS_ONLY = {"master": 200, "admin_user": 200, "viewer": 403, "team_admin": 403, "member": 403}
READERS = {"master": 200, "admin_user": 200, "viewer": 200, "team_admin": 403, "member": 403}
TEAM_A_ADMINS = {"master": 200, "admin_user": 200, "viewer": 403, "team_admin": 200, "member": 403}
TEAM_A_READ = ALL
TEAM_B_READ = READERS
_ids = itertools.count()


def fresh(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}-{uuid.uuid4().hex[:6]}"


@dataclass
class World:
    master: Admin
    users: dict[str, str]  # role -> user_id
    keys: dict[str, str]  # role -> raw key
    a: str  # the team the team admin runs and the member is in
    b: str  # a team neither belongs to
    made: dict[str, str] = field(default_factory=dict)

    def once(self, name: str, make: Callable[[], str]) -> str:
        """A target shared by every role of a case that does not consume it (reads, updates, blocks)."""
        if name not in self.made:
            self.made[name] = make()
        return self.made[name]

    def shared_key(self, team: str, owner: str | None = None) -> str:
        return self.once(f"key {team} {owner}", lambda: self.key_in(team, owner))

    def shared_project(self, team: str) -> str:
        return self.once(f"project {team}", lambda: self.project_in(team))

    def key_in(self, team: str, owner: str | None = None) -> str:
        body: dict[str, Any] = {"team_id": team}
        if owner:
            body["user_id"] = owner
        return str(self.master.post("/key/generate", body)["token"])

    def own_key(self, role: str) -> str:
        return str(self.master.post("/key/generate", {"user_id": self.users[role]})["token"])

    def customer(self, user_id: str | None = None) -> str:
        """A fresh customer (``user_id`` given) or the one every role shares."""
        return str(self.master.post("/customer/new", {"user_id": user_id})["user_id"]) if user_id else self.once(
            "customer", lambda: self.customer(fresh("c")))

    def budget(self, budget_id: str | None = None) -> str:
        """A fresh budget (``budget_id`` given) or the one every role shares."""
        if budget_id:
            return str(self.master.post("/budget/new", {"budget_id": budget_id, "max_budget": 5})["budget_id"])
        return self.once("budget", lambda: self.budget(fresh("b")))

    def project_in(self, team: str) -> str:
        return str(self.master.post("/project/new", {"team_id": team, "project_id": fresh("p")})["project_id"])


Case = tuple[str, str, Callable[[World, Admin, str], Any], dict[str, int]]


def _body(path: str, body: Callable[[World, str], Any]) -> Callable[[World, Admin, str], Any]:
    return lambda w, caller, role: caller.call("POST", path, body(w, role))


def _query(path: str, params: Callable[[World, str], dict[str, Any]]) -> Callable[[World, Admin, str], Any]:
    return lambda w, caller, role: caller.call("GET", path, **params(w, role))


CASES: list[Case] = [
    ("POST", "/key/generate", _body("/key/generate", lambda w, r: {"team_id": w.a}),
     {**ALL, "viewer": 403}),
    ("POST", "/key/generate", _body("/key/generate", lambda w, r: {"team_id": w.b}), ADMINS_ONLY),
    ("POST", "/key/generate", _body("/key/generate", lambda w, r: {"user_id": w.users[r]}),
     {**ALL, "viewer": 403}),
    ("POST", "/key/generate", _body("/key/generate", lambda w, r: {"user_id": w.users["viewer"]}), ADMINS_ONLY),
    ("GET", "/key/info", _query("/key/info", lambda w, r: {"key": w.shared_key(w.a, w.users["admin_user"])}),
     {**ALL, "member": 403}),
    ("GET", "/key/info", _query("/key/info", lambda w, r: {"key": w.shared_key(w.b)}), READERS),
    ("GET", "/key/info", _query("/key/info", lambda w, r: {"key": w.own_key(r)}), ALL),
    ("GET", "/key/list", _query("/key/list", lambda w, r: {}), ALL),
    ("POST", "/key/update", _body("/key/update", lambda w, r: {"key": w.shared_key(w.a), "max_budget": 1}),
     TEAM_A_ADMINS),
    ("POST", "/key/update", _body("/key/update", lambda w, r: {"key": w.shared_key(w.b), "max_budget": 1}),
     ADMINS_ONLY),
    ("POST", "/key/update", _body("/key/update", lambda w, r: {"key": w.own_key(r), "max_budget": 1}),
     {**ALL, "viewer": 403}),
    ("POST", "/key/block", _body("/key/block", lambda w, r: {"key": w.shared_key(w.a)}), TEAM_A_ADMINS),
    ("POST", "/key/block", _body("/key/block", lambda w, r: {"key": w.shared_key(w.b)}), ADMINS_ONLY),
    ("POST", "/key/unblock", _body("/key/unblock", lambda w, r: {"key": w.shared_key(w.a)}), TEAM_A_ADMINS),
    ("POST", "/key/regenerate", _body("/key/regenerate", lambda w, r: {"key": w.key_in(w.a)}),
     TEAM_A_ADMINS),
    ("POST", "/key/{key}/regenerate",
     lambda w, caller, r: caller.call("POST", f"/key/{w.key_in(w.b)}/regenerate"), ADMINS_ONLY),
    ("POST", "/key/delete", _body("/key/delete", lambda w, r: {"keys": [w.key_in(w.a)]}), TEAM_A_ADMINS),
    ("POST", "/key/delete", _body("/key/delete", lambda w, r: {"keys": [w.key_in(w.b)]}), ADMINS_ONLY),
    ("POST", "/key/delete", _body("/key/delete", lambda w, r: {"keys": [w.own_key(r)]}), {**ALL, "viewer": 403}),
    ("POST", "/team/new", _body("/team/new", lambda w, r: {"team_id": fresh("t")}), ADMINS_ONLY),
    ("GET", "/team/info", _query("/team/info", lambda w, r: {"team_id": w.a}),
     {**TEAM_A_READ, "viewer": 200}),
    ("GET", "/team/info", _query("/team/info", lambda w, r: {"team_id": w.b}), TEAM_B_READ),
    ("GET", "/team/list", _query("/team/list", lambda w, r: {}), ALL),
    ("POST", "/team/update", _body("/team/update", lambda w, r: {"team_id": w.a, "rpm_limit": 1000}),
     ADMINS_ONLY),
    ("POST", "/team/delete", _body("/team/delete", lambda w, r: {
        "team_ids": [w.master.post("/team/new", {"team_id": fresh("t")})["team_id"]]}), ADMINS_ONLY),
    ("POST", "/team/member_add", _body("/team/member_add", lambda w, r: {
        "team_id": w.a, "member": {"user_id": fresh("u"), "role": "user"}}), TEAM_A_ADMINS),
    ("POST", "/team/member_add", _body("/team/member_add", lambda w, r: {
        "team_id": w.b, "member": {"user_id": fresh("u"), "role": "user"}}), ADMINS_ONLY),
    ("POST", "/team/member_delete", _body("/team/member_delete", lambda w, r: {
        "team_id": w.a, "user_id": w.master.post("/team/member_add", {
            "team_id": w.a, "member": {"user_id": fresh("u")}})["members_with_roles"][-1]["user_id"]}),
     TEAM_A_ADMINS),
    ("POST", "/project/new", _body("/project/new", lambda w, r: {"team_id": w.a}), TEAM_A_ADMINS),
    ("POST", "/project/new", _body("/project/new", lambda w, r: {"team_id": w.b}), ADMINS_ONLY),
    ("GET", "/project/info", _query("/project/info", lambda w, r: {"project_id": w.shared_project(w.a)}), ALL),
    ("GET", "/project/info", _query("/project/info", lambda w, r: {"project_id": w.shared_project(w.b)}),
     READERS),
    ("GET", "/project/list", _query("/project/list", lambda w, r: {}), ALL),
    ("POST", "/project/update", _body("/project/update", lambda w, r: {
        "project_id": w.shared_project(w.a), "max_budget": 2}), TEAM_A_ADMINS),
    ("POST", "/project/update", _body("/project/update", lambda w, r: {
        "project_id": w.shared_project(w.b), "max_budget": 2}), ADMINS_ONLY),
    ("POST", "/project/delete", _body("/project/delete", lambda w, r: {"project_ids": [w.project_in(w.a)]}),
     TEAM_A_ADMINS),
    ("POST", "/user/new", _body("/user/new", lambda w, r: {"user_id": fresh("u")}), ADMINS_ONLY),
    ("GET", "/user/info", _query("/user/info", lambda w, r: {"user_id": w.users[r]}), ALL),
    ("GET", "/user/info", _query("/user/info", lambda w, r: {"user_id": w.users["viewer" if r != "viewer" else
                                                                                 "member"]}), READERS),
    ("GET", "/v2/user/info", _query("/v2/user/info", lambda w, r: {"user_id": w.users[r]}), ALL),
    ("GET", "/user/list", _query("/user/list", lambda w, r: {}), READERS),
    ("POST", "/user/update", _body("/user/update", lambda w, r: {"user_id": w.users["member"], "max_budget": 9}),
     ADMINS_ONLY),
    ("POST", "/user/delete", _body("/user/delete", lambda w, r: {
        "user_ids": [w.master.post("/user/new", {"user_id": fresh("u"), "auto_create_key": False})["user_id"]]}),
     ADMINS_ONLY),
    ("POST", "/iam/principal/new", _body("/iam/principal/new", lambda w, r: {
        "principal_arn": f"arn:aws:iam::123456789012:role/{fresh('r')}", "team_id": w.a}), ADMINS_ONLY),
    ("GET", "/iam/principal/list", _query("/iam/principal/list", lambda w, r: {}), READERS),
    ("POST", "/iam/principal/delete", _body("/iam/principal/delete", lambda w, r: {"principal_arns": [
        w.master.post("/iam/principal/new", {"principal_arn": f"arn:aws:iam::123456789012:role/{fresh('r')}",
                                             "team_id": w.a})["principal_arn"]]}), ADMINS_ONLY),
    ("GET", "/audit", _query("/audit", lambda w, r: {}), READERS),
    ("GET", "/key/aliases", _query("/key/aliases", lambda w, r: {}), ALL),
    ("GET", "/team/available", _query("/team/available", lambda w, r: {}), ALL),
    ("GET", "/v2/team/list", _query("/v2/team/list", lambda w, r: {}), ALL),
    ("POST", "/customer/new", _body("/customer/new", lambda w, r: {"user_id": fresh("c")}), ADMINS_ONLY),
    ("GET", "/customer/info", _query("/customer/info", lambda w, r: {"end_user_id": w.customer()}), READERS),
    ("GET", "/customer/list", _query("/customer/list", lambda w, r: {}), READERS),
    ("POST", "/customer/update", _body("/customer/update", lambda w, r: {"user_id": w.customer(), "alias": r}),
     ADMINS_ONLY),
    ("POST", "/customer/delete", _body("/customer/delete", lambda w, r: {"user_ids": [w.customer(fresh("c"))]}),
     ADMINS_ONLY),
    ("POST", "/customer/block", _body("/customer/block", lambda w, r: {"user_ids": [w.customer()]}), ADMINS_ONLY),
    ("POST", "/customer/unblock", _body("/customer/unblock", lambda w, r: {"user_ids": [w.customer()]}),
     ADMINS_ONLY),
    ("POST", "/budget/new", _body("/budget/new", lambda w, r: {"max_budget": 1}), ADMINS_ONLY),
    ("POST", "/budget/info", _body("/budget/info", lambda w, r: {"budgets": [w.budget()]}), READERS),
    ("GET", "/budget/list", _query("/budget/list", lambda w, r: {}), READERS),
    ("POST", "/budget/update", _body("/budget/update", lambda w, r: {"budget_id": w.budget(), "max_budget": 2}),
     ADMINS_ONLY),
    ("POST", "/budget/delete", _body("/budget/delete", lambda w, r: {"id": w.budget(fresh("b"))}), ADMINS_ONLY),
]


def _world(admin: Admin) -> World:
    a = admin.post("/team/new", {"team_id": fresh("team-a"), "max_budget": 100})["team_id"]
    b = admin.post("/team/new", {"team_id": fresh("team-b")})["team_id"]
    users, keys = {}, {"master": admin.key}
    for role, user_role in (("admin_user", "proxy_admin"), ("viewer", "proxy_admin_viewer"),
                            ("team_admin", "internal_user"), ("member", "internal_user")):
        made = admin.post("/user/new", {"user_id": fresh(role), "user_role": user_role})
        users[role], keys[role] = made["user_id"], made["key"]
    users["master"] = admin.post("/user/new", {"user_id": fresh("master"), "auto_create_key": False})["user_id"]
    admin.post("/team/member_add", {"team_id": a, "member": [
        {"user_id": users["team_admin"], "role": "admin"}, {"user_id": users["member"], "role": "user"}]})
    return World(admin, users, keys, a, b)


def test_every_role_on_every_admin_route(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    world = _world(admin)
    mismatches = []
    for method, path, act, expected in CASES:
        for role in ROLES:
            response = act(world, admin.as_(world.keys[role]), role)
            if response.status_code != expected[role]:
                mismatches.append(f"{role:10} {method} {path}: {response.status_code} (want {expected[role]}) "
                                  f"{response.text[:120]}")
            elif response.status_code == 403:
                assert response.json()["error"]["type"] == "permission_error"
    assert not mismatches, "\n".join(mismatches)


def test_the_matrix_covers_every_admin_route(gateway) -> None:  # type: ignore[no-untyped-def]
    admin_prefixes = ("/key/", "/team/", "/project/", "/user/", "/iam/", "/audit", "/v2/team/", "/v2/user/",
                      "/customer/", "/budget/")
    routes = {(method.upper(), path) for path, operations in gateway.app.openapi()["paths"].items()
              if path.startswith(admin_prefixes) for method in operations}
    assert routes == {(method, path) for method, path, _, _ in CASES}


def test_lists_are_narrowed_to_what_a_role_may_see(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    world = _world(admin)
    in_a = world.key_in(world.a)
    in_b = world.key_in(world.b)
    own = world.own_key("member")

    def listed(role: str) -> set[str]:
        return set(admin.as_(world.keys[role]).get("/key/list", size=1000)["keys"])

    assert {in_a, in_b, own} <= listed("viewer")
    assert in_a in listed("team_admin") and in_b not in listed("team_admin")
    member_sees = listed("member")
    assert own in member_sees and in_a not in member_sees and in_b not in member_sees
    teams = {t["team_id"] for t in admin.as_(world.keys["member"]).get("/team/list")}
    assert teams == {world.a}


def test_team_admin_stays_within_team_limits(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    world = _world(admin)
    admin.post("/team/update", {"team_id": world.a, "models": ["gpt-4o-mini", "anthropic/*"]})
    team_admin = admin.as_(world.keys["team_admin"])
    assert team_admin.call("POST", "/key/generate", {"team_id": world.a, "max_budget": 1000}).status_code == 403
    assert team_admin.call("POST", "/key/generate", {"team_id": world.a, "models": ["big-model"]}
                           ).status_code == 403
    team_admin.post("/key/generate", {"team_id": world.a, "max_budget": 50, "models": ["anthropic/claude"]})
    made = team_admin.post("/key/generate", {"team_id": world.a})
    assert team_admin.call("POST", "/key/update", {"key": made["key"], "max_budget": 101}).status_code == 403
    assert team_admin.call("POST", "/team/member_add", {"team_id": world.a, "member": {
        "user_id": "promoted", "role": "admin"}}).status_code == 403
