"""Teams, projects, users and the audit log over HTTP; what a key's AuthContext carries."""

from __future__ import annotations

import asyncio

import openai
import pytest

from tollway.auth.context import Limits
from tollway.identity import keygen

HI = [{"role": "user", "content": "hi"}]


def test_effective_access_is_the_intersection_of_levels(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    admin.post("/team/new", {"team_id": "levels", "models": ["gpt-4o-mini", "cheap"], "max_budget": 100,
                             "rpm_limit": 600, "budget_duration": "30d"})
    admin.post("/project/new", {"project_id": "levels-p", "team_id": "levels", "models": ["claude-*"],
                                "max_budget": 20})
    admin.post("/user/new", {"user_id": "levels-u", "models": ["mock/anthropic/*"], "tpm_limit": 900000,
                             "auto_create_key": False})
    made = admin.post("/key/generate", {"project_id": "levels-p", "user_id": "levels-u", "max_parallel_requests": 2})
    assert made["team_id"] == "levels"  # taken from the project
    client = openai.OpenAI(base_url=gateway.base_url, api_key=made["key"], max_retries=0)
    client.chat.completions.create(model="claude-haiku", messages=HI)  # team group, project name, user provider
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)  # the project does not allow it
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="big-model", messages=HI)

    auth = asyncio.run(gateway.app.state.gateway.identity.authenticate(made["key"]))
    assert (auth.kind, auth.key_digest, auth.team_id, auth.project_id, auth.user_id) == (
        "virtual_key", keygen.digest(made["key"]), "levels", "levels-p", "levels-u")
    by_scope = {limit.scope: limit for limit in auth.limits}
    assert by_scope["key"] == Limits(scope="key", scope_id=made["token"], max_parallel_requests=2)
    assert by_scope["team"] == Limits(scope="team", scope_id="levels", max_budget=100, budget_duration="30d",
                                      rpm_limit=600)
    assert by_scope["project"].max_budget == 20 and by_scope["user"].tpm_limit == 900000


def test_teams_members_projects_users(admin) -> None:  # type: ignore[no-untyped-def]
    team = admin.post("/team/new", {"team_alias": "Platform", "members_with_roles": [
        {"user_id": "ana", "role": "admin"}, {"user_id": "ben"}]})
    team_id = team["team_id"]
    admin.post("/team/member_add", {"team_id": team_id, "member": {"user_id": "cid", "role": "user"}})
    assert admin.call("POST", "/team/member_add", {"team_id": team_id, "member": {"user_id": "cid"}}
                      ).status_code == 409
    info = admin.get("/team/info", team_id=team_id)
    assert {m["user_id"]: m["role"] for m in info["team_info"]["members_with_roles"]} == {
        "ana": "admin", "ben": "user", "cid": "user"}
    assert admin.get("/user/info", user_id="cid")["teams"][0]["team_id"] == team_id  # created on member_add
    admin.post("/team/member_delete", {"team_id": team_id, "user_id": "cid"})
    assert admin.call("POST", "/team/member_delete", {"team_id": team_id, "user_id": "cid"}).status_code == 404

    project = admin.post("/project/new", {"team_id": team_id, "project_alias": "search"})
    assert admin.get("/project/list", team_id=team_id)[0]["project_id"] == project["project_id"]
    assert admin.post("/project/update", {"project_id": project["project_id"], "max_budget": 3})["max_budget"] == 3
    key = admin.post("/key/generate", {"project_id": project["project_id"]})
    assert admin.call("POST", "/project/delete", {"project_ids": [project["project_id"]]}).status_code == 409

    updated = admin.post("/team/update", {"team_id": team_id, "max_budget": 10})
    assert updated["team_id"] == team_id  # LiteLLM's {team_id, data}
    assert updated["data"]["max_budget"] == 10 and updated["data"]["team_alias"] == "Platform"
    assert admin.call("POST", "/team/update", {"team_id": "nope", "max_budget": 1}).status_code == 404

    admin.post("/team/delete", {"team_ids": [team_id]})
    assert admin.call("GET", "/team/info", team_id=team_id).status_code == 404
    assert admin.call("GET", "/key/info", key=key["key"]).status_code == 404  # its keys went with it
    assert admin.call("GET", "/project/info", project_id=project["project_id"]).status_code == 404

    user = admin.post("/user/new", {"user_email": "dee@example.com", "max_budget": 5})
    assert user["key"].startswith("sk-") and user["user_role"] == "internal_user"
    listed = admin.get("/user/list", page_size=1000)
    assert user["user_id"] in [u["user_id"] for u in listed["users"]]
    assert admin.post("/user/update", {"user_id": user["user_id"], "user_role": "proxy_admin_viewer"}
                      )["data"]["user_role"] == "proxy_admin_viewer"
    assert admin.post("/user/delete", {"user_ids": [user["user_id"]]}) == 1  # LiteLLM's count
    assert admin.call("GET", "/key/info", key=user["key"]).status_code == 404


def test_audit_log_filters_paginates_and_redacts(admin) -> None:  # type: ignore[no-untyped-def]
    admin.post("/team/new", {"team_id": "audited"})
    made = admin.post("/key/generate", {"team_id": "audited", "key_alias": "audited-key"})
    for budget in (1, 2, 3):
        admin.post("/key/update", {"key": made["key"], "max_budget": budget})
    admin.post("/key/block", {"key": made["key"]})

    entries = admin.get("/audit", target_type="key", target_id=made["token"])["entries"]
    assert [e["action"] for e in entries] == ["key.block", "key.update", "key.update", "key.update",
                                              "key.generate"]
    newest = entries[0]
    assert newest["actor"] == "master_key" and newest["actor_role"] == "proxy_admin"
    assert newest["before"]["blocked"] is False and newest["after"]["blocked"] is True
    assert newest["request_id"].startswith("req-") and newest["time"].endswith("Z")
    generated = entries[-1]
    assert generated["before"] is None and generated["after"]["key_alias"] == "audited-key"
    assert made["key"] not in str(entries)

    first = admin.get("/audit", target_type="key", target_id=made["token"], limit=2)
    second = admin.get("/audit", target_type="key", target_id=made["token"], limit=2, cursor=first["next_cursor"])
    third = admin.get("/audit", target_type="key", target_id=made["token"], limit=2, cursor=second["next_cursor"])
    paged = first["entries"] + second["entries"] + third["entries"]
    assert [e["id"] for e in paged] == [e["id"] for e in entries] and third["next_cursor"] is None

    updates = admin.get("/audit", action="key.update", limit=500)["entries"]
    assert len([e for e in updates if e["target_id"] == made["token"]]) == 3
    assert all(e["action"] == "key.update" for e in updates)
    assert admin.get("/audit", since="2999-01-01T00:00:00Z")["entries"] == []
    assert admin.call("GET", "/audit", cursor="not-a-cursor").status_code == 400
    assert admin.call("GET", "/audit", target_type="key").json()["error"]["param"] == "target_id"
