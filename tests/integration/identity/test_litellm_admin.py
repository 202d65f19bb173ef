"""LiteLLM's admin API shapes over HTTP: model and group info, teams v2/available, key aliases, customers,
budgets, importable keys, and the answers LiteLLM's client parses (both stores)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.identity.conftest import Admin
from tollway.identity import keygen

#: each answered call costs 5 output tokens x $0.001 (the mock's reply is 5 tokens, max_tokens=5), plus at most a
#: few prompt tokens at $0.000001
CALL_COST = 0.005
CONFIG = {
    "model_list": [
        {"model_name": "metered", "litellm_params": {
            "model": "mock/metered", "region_name": "eu", "mock_response": "a b c d e", "input_cost_per_token": 0.0,
            "output_cost_per_token": 0.001, "api_key": "sk-upstream-secret-1",
            "extra_headers": {"Authorization": "Bearer sk-upstream-secret-2", "X-Team": "search"}},
         "model_info": {"id": "metered-1", "max_input_tokens": 1000, "max_output_tokens": 50}},
        {"model_name": "metered", "litellm_params": {
            "model": "mock/metered-b", "region_name": "eu", "mock_response": "a b c d e",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": 0.001, "rpm": 60},
         "model_info": {"id": "metered-2"}},
        {"model_name": "other", "litellm_params": {"model": "mock/other", "tpm": 1000}},
    ],
    "litellm_settings": {"default_internal_user_params": {"available_teams": ["open-a", "open-b", "missing"]}},
}
HI = [{"role": "user", "content": "hello"}]
#: LiteLLM's times: ISO-8601 UTC with microseconds and Z
LITELLM_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def gateway(start_gateway: Callable[..., Any], table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TOLLWAY_AUTH_CACHE_TTL", "30")
    return start_gateway(CONFIG)


def _chat(gateway: Any, key: str, **extra: Any) -> httpx.Response:
    return httpx.post(f"{gateway.url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                      json={"model": "metered", "messages": HI, "max_tokens": 5, **extra}, timeout=30)


def test_model_info_lists_deployments_without_secrets(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    for path in ("/model/info", "/v1/model/info"):
        response = admin.call("GET", path)
        assert response.status_code == 200
        assert "sk-upstream-secret" not in response.text
    data = admin.get("/v1/model/info")["data"]
    assert [(d["model_name"], d["model_info"]["id"]) for d in data][:2] == [("metered", "metered-1"),
                                                                            ("metered", "metered-2")]
    first = data[0]
    assert first["litellm_params"]["model"] == "mock/metered" and "api_key" not in first["litellm_params"]
    assert first["litellm_params"]["extra_headers"] == {"X-Team": "search"}
    info = first["model_info"]
    assert info["litellm_provider"] == "mock" and info["output_cost_per_token"] == 0.001
    assert info["max_input_tokens"] == 1000 and info["max_output_tokens"] == 50
    assert "temperature" in info["supported_openai_params"] and "messages" not in info["supported_openai_params"]
    one = admin.get("/model/info", litellm_model_id="metered-2")["data"]
    assert [d["model_info"]["id"] for d in one] == ["metered-2"]

    groups = {g["model_group"]: g for g in admin.get("/model_group/info")["data"]}
    assert set(groups) == {"metered", "other"}
    assert groups["metered"]["providers"] == ["mock"] and groups["metered"]["input_cost_per_token"] == 1e-06
    assert groups["metered"]["rpm"] == 60 and groups["other"]["tpm"] == 1000
    assert admin.get("/model_group/info", model_group="other")["data"][0]["model_group"] == "other"

    limited = admin.post("/key/generate", {"models": ["other"]})["key"]
    assert [d["model_name"] for d in admin.as_(limited).get("/model/info")["data"]] == ["other"]
    assert [g["model_group"] for g in admin.as_(limited).get("/model_group/info")["data"]] == ["other"]
    assert admin.as_("sk-nope-not-a-key").call("GET", "/model/info").status_code == 401


def test_shapes_litellm_parses(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    team = admin.post("/team/new", {"team_alias": "Shapes"})
    assert LITELLM_TIME.match(team["created_at"]), team["created_at"]
    updated = admin.post("/team/update", {"team_id": team["team_id"], "max_budget": 3})
    assert set(updated) == {"team_id", "data"} and updated["data"]["max_budget"] == 3
    added = admin.post("/team/member_add", {"team_id": team["team_id"], "member": [{"user_id": "shape-u"}]})
    assert added["team_id"] == team["team_id"] and added["team_alias"] == "Shapes"  # the team
    assert [m["user_id"] for m in added["members_with_roles"]] == ["shape-u"]
    assert [u["user_id"] for u in added["updated_users"]] == ["shape-u"]
    assert added["updated_team_memberships"][0]["team_id"] == team["team_id"]
    user = admin.post("/user/update", {"user_id": "shape-u", "user_alias": "Shape"})
    assert user == {"user_id": "shape-u", "data": user["data"]} and user["data"]["user_alias"] == "Shape"
    assert admin.post("/user/delete", {"user_ids": ["shape-u"]}) == 1

    made = [admin.post("/key/generate", {"key_alias": f"shape-{i}"}) for i in range(3)]
    assert admin.post("/key/delete", {"keys": [made[0]["key"]], "key_aliases": None}) == {
        "deleted_keys": [made[0]["key"]]}
    assert admin.post("/key/delete", {"keys": None, "key_aliases": ["shape-1"]})["deleted_keys"] == ["shape-1"]
    assert admin.call("POST", "/key/delete", {"keys": None, "key_aliases": None}).status_code == 400
    assert admin.get("/key/info", key=made[2]["key"])["info"]["key_alias"] == "shape-2"
    admin.post("/team/delete", {"team_ids": [team["team_id"]]})
    admin.post("/key/delete", {"key_aliases": ["shape-2"]})


def test_teams_v2_available_and_key_aliases(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    for ident, alias in (("open-a", "Open A"), ("open-b", "Open B"), ("closed", "Closed")):
        admin.post("/team/new", {"team_id": ident, "team_alias": alias})
    user = admin.post("/user/new", {"user_id": "joiner", "teams": ["open-a"]})
    assert [t["team_id"] for t in admin.as_(user["key"]).get("/team/available")] == ["open-b"]
    assert [t["team_id"] for t in admin.get("/team/available")] == ["open-a", "open-b"]  # the master key: in none

    page = admin.get("/v2/team/list", page=1, page_size=2, sort_by="team_alias")
    assert page["total"] == 3 and page["total_pages"] == 2 and page["page_size"] == 2
    assert [t["team_alias"] for t in page["teams"]] == ["Closed", "Open A"]
    assert [t["team_id"] for t in admin.get("/v2/team/list", team_alias="open", sort_order="desc")["teams"]] == [
        "open-b", "open-a"]
    assert [t["team_id"] for t in admin.get("/v2/team/list", user_id="joiner")["teams"]] == ["open-a"]
    assert [t["team_id"] for t in admin.as_(user["key"]).get("/v2/team/list")["teams"]] == ["open-a"]
    assert admin.call("GET", "/v2/team/list", sort_order="up").status_code == 400

    for alias, team in (("zeta", "open-a"), ("alpha", "open-a"), ("beta", "closed")):
        admin.post("/key/generate", {"key_alias": alias, "team_id": team})
    assert admin.get("/key/aliases")["aliases"] == ["alpha", "beta", "zeta"]
    paged = admin.get("/key/aliases", size=2, page=2)
    assert paged == {"aliases": ["zeta"], "total_count": 3, "current_page": 2, "total_pages": 2, "size": 2}
    assert admin.get("/key/aliases", search="ET")["aliases"] == ["beta", "zeta"]
    assert admin.get("/key/aliases", team_id="open-a")["aliases"] == ["alpha", "zeta"]
    assert admin.as_(user["key"]).get("/key/aliases")["aliases"] == []  # not its keys


def test_a_supplied_key_is_kept_hashed_once_and_audited(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    raw = "sk-carried-over-from-litellm-0001"
    made = admin.post("/key/generate", {"key": raw, "key_alias": "carried", "models": ["metered"]})
    assert made["key"] == raw and made["token"] == keygen.digest(raw) and made["key_name"] == "sk-...0001"
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=raw, max_retries=0)
    assert client.chat.completions.create(model="metered", messages=HI, max_tokens=5).choices
    again = admin.call("POST", "/key/generate", {"key": raw})
    assert again.status_code == 409 and again.json()["error"]["type"] == "conflict_error"
    assert raw not in again.text
    for bad in ("sk-short", "pk-" + "a" * 30, "sk-" + "a" * 20 + " x", "sk-" + "é" * 20):
        refused = admin.call("POST", "/key/generate", {"key": bad})
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "key", bad
    [entry] = admin.get("/audit", target_type="key", target_id=made["token"])["entries"]
    assert entry["action"] == "key.import" and raw not in str(entry)

    viewer = admin.post("/user/new", {"user_role": "proxy_admin_viewer"})["key"]
    denied = admin.as_(viewer).call("POST", "/key/generate", {"key": "sk-viewer-may-not-import-0001"})
    assert denied.status_code == 403
    member = admin.post("/user/new", {"user_id": "importer"})["key"]
    own = admin.as_(member).post("/key/generate", {"key": "sk-members-own-imported-key-01"})
    assert own["user_id"] == "importer"  # an internal user's imported key is its own, like a generated one


def test_customers_blocked_and_budgeted_by_the_user_field(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    made = admin.post("/customer/new", {"user_id": "acme", "alias": "Acme", "max_budget": CALL_COST * 1.5,
                                        "allowed_model_region": "eu", "default_model": "metered"})
    assert made["blocked"] is False and made["litellm_budget_table"]["max_budget"] == CALL_COST * 1.5
    assert admin.call("POST", "/customer/new", {"user_id": "acme"}).status_code == 409
    assert admin.call("POST", "/customer/new", {"user_id": "x", "default_model": "nope"}).status_code == 400
    assert admin.call("POST", "/customer/new", {"user_id": "x", "allowed_model_region": "mars"}).status_code == 400
    assert admin.get("/customer/info", end_user_id="acme")["alias"] == "Acme"
    assert admin.call("GET", "/customer/info", end_user_id="nobody").status_code == 404

    key = admin.post("/key/generate", {})["key"]
    assert _chat(gateway, key, user="acme").status_code == 200
    refused = _chat(gateway, key, user="acme")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "budget_exceeded"
    assert _chat(gateway, key, user="someone-else").status_code == 200

    admin.post("/customer/update", {"user_id": "acme", "max_budget": 1.0, "budget_duration": "30d"})
    assert _chat(gateway, key, user="acme").status_code == 200  # a new budget (its own 30-day period)
    blocked = admin.post("/customer/block", {"user_ids": ["acme", "newcomer"]})["blocked_users"]
    assert {c["user_id"]: c["blocked"] for c in blocked} == {"acme": True, "newcomer": True}
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key, max_retries=0)
    for user in ("acme", "newcomer"):
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="metered", messages=HI, max_tokens=5, user=user)
        assert caught.value.code == "end_user_blocked"
    assert admin.post("/customer/unblock", {"user_ids": ["acme"]}) == {"blocked_users": ["newcomer"]}
    assert _chat(gateway, key, user="acme").status_code == 200

    assert {c["user_id"] for c in admin.get("/customer/list")} == {"acme", "newcomer"}
    assert admin.call("POST", "/customer/delete", {"user_ids": ["acme", "ghost"]}).status_code == 404
    assert admin.post("/customer/delete", {"user_ids": ["acme", "newcomer"]})["deleted_customers"] == 2
    assert _chat(gateway, key, user="newcomer").status_code == 200  # no record: no longer blocked
    actions = [e["action"] for e in admin.get("/audit", target_type="customer", target_id="acme")["entries"]]
    assert actions == ["customer.delete", "customer.unblock", "customer.block", "customer.update", "customer.new"]


def test_a_customers_rate_limits_apply_to_its_requests(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    admin.post("/customer/new", {"user_id": "paced", "rpm_limit": 1})
    key = admin.post("/key/generate", {})["key"]
    answers = [_chat(gateway, key, user="paced") for _ in range(3)]  # 3: a minute may turn between two
    refused = [a for a in answers if a.status_code == 429]
    assert answers[0].status_code == 200 and refused and refused[0].headers["retry-after"]
    assert refused[0].json()["error"]["type"] == "rate_limit_error"
    assert _chat(gateway, key, user="unpaced").status_code == 200
    admin.post("/customer/delete", {"user_ids": ["paced"]})


def test_budgets_apply_to_the_customers_and_keys_that_reference_them(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    budget = admin.post("/budget/new", {"budget_id": "tier", "max_budget": CALL_COST * 1.5, "rpm_limit": 100,
                                        "budget_duration": "1d"})
    assert budget["budget_reset_at"] and LITELLM_TIME.match(budget["budget_reset_at"])
    assert admin.call("POST", "/budget/new", {"budget_id": "tier"}).status_code == 409
    assert admin.call("POST", "/budget/new", {"budget_duration": "soon"}).status_code == 400
    assert admin.call("POST", "/customer/new", {"user_id": "c", "budget_id": "none"}).status_code == 404
    assert admin.call("POST", "/key/generate", {"budget_id": "none"}).status_code == 404

    admin.post("/customer/new", {"user_id": "tiered", "budget_id": "tier"})
    assert admin.get("/customer/info", end_user_id="tiered")["litellm_budget_table"]["max_budget"] == CALL_COST * 1.5
    key = admin.post("/key/generate", {"budget_id": "tier"})["key"]
    other = admin.post("/key/generate", {})["key"]
    assert [_chat(gateway, other, user="tiered").status_code for _ in range(2)] == [200, 429]
    assert [_chat(gateway, key).status_code for _ in range(2)] == [200, 429]  # the key's own spend, same limit

    admin.post("/budget/update", {"budget_id": "tier", "max_budget": 1.0})
    assert _chat(gateway, key).status_code == 200 and _chat(gateway, other, user="tiered").status_code == 200
    assert [b["budget_id"] for b in admin.post("/budget/info", {"budgets": ["tier", "none"]})] == ["tier"]
    assert [b["budget_id"] for b in admin.get("/budget/list")] == ["tier"]
    in_use = admin.call("POST", "/budget/delete", {"id": "tier"})
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "budget_in_use"
    admin.post("/customer/delete", {"user_ids": ["tiered"]})
    admin.post("/key/delete", {"keys": [key]})
    assert admin.post("/budget/delete", {"id": "tier"})["budget_id"] == "tier"
    assert admin.get("/budget/list") == []


def test_reads_and_writes_follow_rbac(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    viewer = admin.as_(admin.post("/user/new", {"user_role": "proxy_admin_viewer"})["key"])
    member = admin.as_(admin.post("/user/new", {})["key"])
    admin.post("/customer/new", {"user_id": "seen"})
    assert "seen" in {c["user_id"] for c in viewer.get("/customer/list")} and viewer.get("/budget/list") == []
    for caller in (viewer, member):
        assert caller.call("POST", "/customer/block", {"user_ids": ["seen"]}).status_code == 403
        assert caller.call("POST", "/budget/new", {"max_budget": 1}).status_code == 403
    assert member.call("GET", "/customer/info", end_user_id="seen").status_code == 403
    assert Admin(gateway.url, "sk-wrong").call("GET", "/budget/list").status_code == 401
    assert "seen" in {c["user_id"] for c in Admin(gateway.url, MASTER_KEY).get("/customer/list")}
