"""The escalation matrix: no admin call creates or widens rights beyond the caller's own.

Every non-admin role (a ``proxy_admin_viewer``, the admin of team A, an internal user of
team A) x every admin route that writes a key x every field that confers rights, each
with a value that would widen them. After each call the outcome is judged two ways:

* the stored key (read back as the master key) must not carry more than the caller may
  grant: an owner the caller administers (an internal user all of whose teams the caller
  administers, or the caller itself), a team the caller may use, and controls (block,
  budget, models, limits, expiry, guardrails) no looser than the bound — the team's caps
  when the caller administers the key's team, else what the key had before (an update) or
  the caller's own key (a new key);
* a secret the call returned must not reach anything the caller's own key cannot
  (probes: user list, audit log, another team, an admin's key).

Team A also has as plain members a proxy admin, a viewer, the admin of team B and a user
of both teams: the team admin administers the team they are in, not them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import httpx

from tests.integration.identity.conftest import Admin

CALLERS = ("viewer", "team_admin", "member")
TEAM_CAPS = {"max_budget": 100.0, "rpm_limit": 100, "tpm_limit": 10_000, "max_parallel_requests": 10,
             "models": ["gpt-4o-mini", "claude-haiku"]}
CONTROLS = {"models": ["gpt-4o-mini"], "max_budget": 5.0, "budget_duration": "30d", "rpm_limit": 10,
            "tpm_limit": 1000, "max_parallel_requests": 2, "duration": "1h", "guardrails": ["pii-mask"]}
_CAPS = ("max_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")
_ids = itertools.count()


def fresh(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}-{uuid.uuid4().hex[:6]}"


@dataclass
class World:
    master: Admin
    users: dict[str, str]  # name -> user_id
    keys: dict[str, str]  # caller -> raw key
    tokens: dict[str, str]  # caller -> its key's digest
    a: str
    b: str
    b_key: str  # a key of team B (digest)
    admin_key: str  # a key of the proxy admin user (digest)
    #: targets a refused call left untouched, reused by the next case of the same route and role
    spare: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    last_slot: tuple[Any, ...] = ()
    probed: dict[tuple[str, str], int] = field(default_factory=dict)

    def record(self, token: str) -> dict[str, Any]:
        """The stored key (without the spend fields /key/info derives from the counters)."""
        derived = ("spend", "total_spend", "model_spend", "budget_reset_at")
        return {k: v for k, v in self.master.get("/key/info", key=token)["info"].items() if k not in derived}

    def target(self, caller: str, **extra: Any) -> dict[str, Any]:
        """A fresh key for ``caller`` to change: with admin-set controls, owned by the member."""
        owner = "viewer" if caller == "viewer" else "member"
        body = {"team_id": self.a, "user_id": self.users[owner], **CONTROLS, **extra}
        return dict(self.master.post("/key/generate", body))


def _world(admin: Admin) -> World:
    a = admin.post("/team/new", {"team_id": fresh("team-a"), **TEAM_CAPS})["team_id"]
    b = admin.post("/team/new", {"team_id": fresh("team-b")})["team_id"]
    users: dict[str, str] = {}
    keys: dict[str, str] = {}
    for name, role in (("admin_user", "proxy_admin"), ("viewer", "proxy_admin_viewer"),
                       ("team_admin", "internal_user"), ("member", "internal_user"), ("b_admin", "internal_user"),
                       ("member_b", "internal_user"), ("dual", "internal_user"), ("loner", "internal_user")):
        made = admin.post("/user/new", {"user_id": fresh(name), "user_role": role, "auto_create_key": False})
        users[name] = made["user_id"]
    admin.post("/team/member_add", {"team_id": a, "member": [
        {"user_id": users["team_admin"], "role": "admin"}, {"user_id": users["member"], "role": "user"},
        {"user_id": users["admin_user"], "role": "user"}, {"user_id": users["viewer"], "role": "user"},
        {"user_id": users["b_admin"], "role": "user"}, {"user_id": users["dual"], "role": "user"}]})
    admin.post("/team/member_add", {"team_id": b, "member": [
        {"user_id": users["b_admin"], "role": "admin"}, {"user_id": users["member_b"], "role": "user"},
        {"user_id": users["dual"], "role": "user"}]})
    tokens: dict[str, str] = {}
    for caller in CALLERS:
        body: dict[str, Any] = {"team_id": a, "user_id": users[caller]}
        if caller == "member":
            body.update(CONTROLS)
        made = admin.post("/key/generate", body)
        keys[caller], tokens[caller] = made["key"], made["token"]
    b_key = admin.post("/key/generate", {"team_id": b})["token"]
    admin_key = admin.post("/key/generate", {"user_id": users["admin_user"]})["token"]
    return World(admin, users, keys, tokens, a, b, b_key, admin_key)


# ---------------------------------------------------------------------- what widens

def _fixed(body: dict[str, Any]) -> Callable[[World], dict[str, Any]]:
    return lambda w: body


def _owned_by(name: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"user_id": w.users[name]}


GRANTS: dict[str, Callable[[World], dict[str, Any]]] = {
    **{f"user_id={name}": _owned_by(name)
       for name in ("admin_user", "viewer", "b_admin", "member_b", "dual", "loner", "member", "team_admin")},
    "team_id=B": lambda w: {"team_id": w.b},
    "team_id=null": lambda w: {"team_id": None},
    "models=*": lambda w: {"models": ["*"]},
    "models=big-model": lambda w: {"models": ["big-model"]},
    "models=[]": lambda w: {"models": []},
    "models=null": lambda w: {"models": None},
    **{f"{cap}=huge": _fixed({cap: 10**6}) for cap in _CAPS},
    **{f"{cap}=null": _fixed({cap: None}) for cap in _CAPS},
    "budget_duration=1s": lambda w: {"budget_duration": "1s"},
    "duration=3650d": lambda w: {"duration": "3650d"},
    "duration=null": lambda w: {"duration": None},
    "blocked=false": lambda w: {"blocked": False},
    "guardrails=[]": lambda w: {"guardrails": []},
    "metadata.guardrails=[]": lambda w: {"metadata": {"guardrails": []}},
}

Act = Callable[[World, Admin, str, dict[str, Any]], tuple[httpx.Response, dict[str, Any] | None]]


def _generate(w: World, caller: Admin, role: str, grant: dict[str, Any]) -> tuple[httpx.Response, None]:
    return caller.call("POST", "/key/generate", {"team_id": w.a, **grant}), None


def _on_target(path: str, *, in_path: bool = False) -> Act:
    def act(w: World, caller: Admin, role: str, grant: dict[str, Any]) -> tuple[httpx.Response, dict[str, Any]]:
        slot = (path, in_path, role, grant.get("blocked") is False)
        target = w.spare.pop(slot, None) or w.target(role, blocked=grant.get("blocked") is False)
        w.last_slot = slot
        if in_path:
            return caller.call("POST", f"/key/{target['token']}/regenerate", grant), target
        return caller.call("POST", path, {"key": target["token"], **grant}), target
    return act


ROUTES: dict[str, Act] = {
    "/key/generate": _generate,
    "/key/update": _on_target("/key/update"),
    "/key/regenerate": _on_target("/key/regenerate"),
    "/key/{key}/regenerate": _on_target("", in_path=True),
}


# ---------------------------------------------------------------------- the oracle

def _caller_rights(w: World, role: str) -> tuple[set[str], set[str]]:
    """(users whose keys the caller may mint, teams whose keys it administers)."""
    if role == "team_admin":
        return {w.users["team_admin"], w.users["member"]}, {w.a}
    return {w.users[role]}, set()


def _models_within(models: list[str] | None, bound: list[str] | None) -> bool:
    if not bound:
        return True
    return bool(models) and all(any(m == b or fnmatchcase(m, b) for b in bound) for m in models or [])


def _guardrails(record: dict[str, Any]) -> set[str]:
    return set(record.get("guardrails") or []) | set((record.get("metadata") or {}).get("guardrails") or [])


def looser(after: dict[str, Any], bound: dict[str, Any], *, team_caps_only: bool = False) -> list[str]:
    """The controls of ``after`` that are looser than ``bound``'s."""
    if team_caps_only:  # the team's own level still binds a key that sets none
        return [cap for cap in (*_CAPS, "models") if after.get(cap) and bound.get(cap)
                and looser({cap: after[cap]}, {cap: bound[cap]})]
    found = [cap for cap in _CAPS if bound.get(cap) is not None
             and (after.get(cap) is None or after[cap] > bound[cap])]
    if not _models_within(after.get("models"), bound.get("models")):
        found.append("models")
    if bound.get("blocked") and not after.get("blocked"):
        found.append("blocked")
    if bound.get("expires") and (not after.get("expires")
                                 or datetime.fromisoformat(after["expires"].replace("Z", "+00:00"))
                                 > datetime.fromisoformat(bound["expires"].replace("Z", "+00:00"))):
        found.append("expires")
    if bound.get("budget_duration") and after.get("budget_duration") != bound["budget_duration"]:
        found.append("budget_duration")
    if _guardrails(bound) - _guardrails(after):
        found.append("guardrails")
    if bound.get("team_id") and after.get("team_id") != bound["team_id"]:
        found.append("team_id")
    return found


def violations(w: World, role: str, after: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    if role == "viewer":
        return ["a viewer changed a key"]
    owners, administered = _caller_rights(w, role)
    found = []
    owner = after.get("user_id")
    if owner is not None and owner not in owners:
        found.append(f"owner {owner}")
    if after.get("team_id") in administered:
        found += looser(after, TEAM_CAPS, team_caps_only=True)
    else:
        if owner != w.users[role]:
            found.append(f"team {after.get('team_id')} with another owner")
        found += looser(after, before or w.record(w.tokens[role]))
    return found


PROBES: list[tuple[str, Callable[[World], tuple[str, dict[str, Any]]]]] = [
    ("/user/list", lambda w: ("/user/list", {})),
    ("/audit", lambda w: ("/audit", {})),
    ("/team/info B", lambda w: ("/team/info", {"team_id": w.b})),
    ("/key/info B", lambda w: ("/key/info", {"key": w.b_key})),
    ("/key/info admin's", lambda w: ("/key/info", {"key": w.admin_key})),
    ("/user/info admin", lambda w: ("/user/info", {"user_id": w.users["admin_user"]})),
]


def reaches_further(w: World, admin: Admin, role: str, secret: str) -> list[str]:
    """Probes the new secret passes that the caller's own key does not."""
    found = []
    for name, probe in PROBES:
        path, params = probe(w)
        if (role, name) not in w.probed:
            w.probed[role, name] = admin.as_(w.keys[role]).call("GET", path, **params).status_code
        mine = w.probed[role, name]
        theirs = admin.as_(secret).call("GET", path, **params).status_code
        if theirs == 200 and mine != 200:
            found.append(f"new key reaches {name}")
    return found


def _stored(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "key"}


def test_no_call_creates_or_widens_rights_beyond_the_callers(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    world = _world(admin)
    escalations: list[str] = []
    for route, act in ROUTES.items():
        for role in CALLERS:
            for grant_name, grant in GRANTS.items():
                response, target = act(world, admin.as_(world.keys[role]), role, grant(world))
                assert response.status_code < 500, response.text
                if response.status_code != 200:
                    assert response.status_code in (400, 403, 404), response.text
                    if target is not None:
                        assert world.record(target["token"]) == _stored(target), "a refused call changed the key"
                        world.spare[world.last_slot] = target
                    continue
                answer = response.json()
                token = answer.get("token") or (target or {}).get("token")
                found = violations(world, role, world.record(token), target)
                if answer.get("key"):
                    found += reaches_further(world, admin, role, answer["key"])
                if found:
                    escalations.append(f"{role:10} {route} {grant_name}: {', '.join(found)}")
    assert not escalations, "\n".join(escalations)


def test_unblock_is_for_whoever_administers_the_key(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    world = _world(admin)
    for role, expected in (("viewer", 403), ("member", 403), ("team_admin", 200)):
        target = world.target(role, blocked=True)
        response = admin.as_(world.keys[role]).call("POST", "/key/unblock", {"key": target["token"]})
        assert response.status_code == expected, (role, response.text)
        assert world.record(target["token"])["blocked"] is (expected != 200)


def test_non_admins_cannot_make_admins(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    world = _world(admin)
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("/user/new", {"user_id": fresh("u"), "user_role": "proxy_admin"}),
        ("/user/new", {"user_id": fresh("u"), "user_role": "proxy_admin_viewer"}),
        ("/user/update", {"user_id": world.users["member"], "user_role": "proxy_admin"}),
        ("/team/member_add", {"team_id": world.a, "member": {"user_id": world.users["member"], "role": "admin"}}),
        ("/team/member_add", {"team_id": world.b, "member": {"user_id": world.users["member"], "role": "user"}}),
        ("/team/update", {"team_id": world.a, "max_budget": 10**6}),
        ("/iam/principal/new", {"principal_arn": f"arn:aws:iam::123456789012:role/{fresh('r')}",
                                "role": "proxy_admin"}),
    ]
    for role in CALLERS:
        for path, body in attempts:
            response = admin.as_(world.keys[role]).call("POST", path, body)
            assert response.status_code == 403, (role, path, response.text)


def test_what_each_role_may_still_do(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    """The rule is not a blanket refusal: tightening, and loosening within an admin's reach, still work."""
    world = _world(admin)
    member = admin.as_(world.keys["member"])
    derived = member.post("/key/generate", {"max_budget": 1, "models": ["gpt-4o-mini"]})
    record = world.record(derived["token"])
    assert record["user_id"] == world.users["member"] and record["team_id"] == world.a
    assert record["guardrails"] == ["pii-mask"] and record["rpm_limit"] == 10 and record["expires"]
    target = world.target("member")
    tightened = member.post("/key/update", {"key": target["token"], "max_budget": 1, "rpm_limit": 5})
    assert (tightened["max_budget"], tightened["rpm_limit"]) == (1, 5)
    member.post("/key/block", {"key": target["token"]})
    denied = member.call("POST", "/key/update", {"key": target["token"], "max_budget": 6})
    assert denied.status_code == 403 and denied.json()["error"]["param"] == "max_budget"

    team_admin = admin.as_(world.keys["team_admin"])
    loosened = team_admin.post("/key/update", {"key": world.target("team_admin")["token"], "max_budget": 50,
                                               "models": ["claude-haiku"], "duration": None, "guardrails": []})
    assert loosened["max_budget"] == 50 and loosened["expires"] is None
    minted = team_admin.post("/key/generate", {"team_id": world.a, "user_id": world.users["member"]})
    assert admin.as_(minted["key"]).call("GET", "/user/list").status_code == 403
    for owner in ("admin_user", "viewer", "b_admin", "dual", "member_b", "loner"):
        refused = team_admin.call("POST", "/key/generate", {"team_id": world.a, "user_id": world.users[owner]})
        assert refused.status_code == 403, (owner, refused.text)
    admins_key = admin.post("/key/generate", {"team_id": world.a, "user_id": world.users["admin_user"]})
    for path in ("/key/regenerate", "/key/update", "/key/block", "/key/delete"):
        body = {"keys": [admins_key["token"]]} if path == "/key/delete" else {"key": admins_key["token"]}
        assert team_admin.call("POST", path, body).status_code == 403, path
    assert admin.as_(world.keys["team_admin"]).call(
        "GET", "/key/info", key=admins_key["token"]).status_code == 200  # reading is still fine
