"""Spend on key, team and user records equals what the gateway charged, under concurrent calls.

Calls go through the openai SDK against the real app; each answer's ``x-tollway-response-cost`` is
summed per key and compared with ``spend``/``total_spend``/``model_spend`` on ``/key/info``,
``/team/info`` (and its ``team_memberships``), ``/user/info`` and the three list routes, on both stores.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest

from tests.integration.identity.conftest import Admin

PRICE = {"input_cost_per_token": 0.000002, "output_cost_per_token": 0.000008}
PRICED = {"model_list": [
    {"model_name": "gpt-4o-mini", "litellm_params": {"model": "mock/gpt-4o-mini", **PRICE}},
    {"model_name": "claude-haiku", "litellm_params": {"model": "mock/anthropic/claude-haiku", **PRICE}},
]}


@pytest.fixture
def priced(start_gateway: Any, table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TOLLWAY_AUTH_CACHE_TTL", "30")
    return start_gateway(PRICED)


def _call(url: str, key: str, model: str) -> tuple[str, str, float]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": f"count {uuid.uuid4().hex}"}], max_tokens=20)
    raw.parse()
    return key, model, float(raw.headers["x-tollway-response-cost"])


def test_spend_on_records_equals_the_cost_of_concurrent_calls(priced: Any) -> None:
    admin = Admin(priced.url)
    uid = uuid.uuid4().hex[:8]
    team, user = f"team-{uid}", f"user-{uid}"
    admin.post("/team/new", {"team_id": team, "max_budget": 100, "budget_duration": "30d"})
    admin.post("/user/new", {"user_id": user, "auto_create_key": False})
    admin.post("/team/member_add", {"team_id": team, "member": {"user_id": user, "role": "user"}})
    budgeted = admin.post("/key/generate", {"team_id": team, "user_id": user, "max_budget": 10,
                                            "budget_duration": "1d"})
    plain = admin.post("/key/generate", {"team_id": team})
    jobs = [(budgeted["key"], ("gpt-4o-mini", "claude-haiku")[i % 2]) for i in range(12)]
    jobs += [(plain["key"], "gpt-4o-mini") for _ in range(6)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda job: _call(priced.url, *job), jobs))
    charged: dict[str, float] = defaultdict(float)
    by_model: dict[str, float] = defaultdict(float)
    for key, model, cost in results:
        charged[key] += cost
        if key == budgeted["key"]:
            by_model[model] += cost
    assert all(cost > 0 for _, _, cost in results)
    mine, other = charged[budgeted["key"]], charged[plain["key"]]

    info = admin.get("/key/info", key=budgeted["token"])["info"]
    assert info["spend"] == pytest.approx(mine) and info["total_spend"] == pytest.approx(mine)
    assert info["model_spend"] == pytest.approx(dict(by_model))
    assert info["budget_reset_at"] and info["budget_reset_at"].endswith("Z")
    plain_info = admin.get("/key/info", key=plain["key"])["info"]  # raw key works as the reference too
    assert plain_info["spend"] == pytest.approx(other) and plain_info["budget_reset_at"] is None

    team_info = admin.get("/team/info", team_id=team)
    assert team_info["team_info"]["spend"] == pytest.approx(mine + other)
    assert team_info["team_info"]["budget_reset_at"] is not None
    assert {k["token"]: k["spend"] for k in team_info["keys"]} == pytest.approx(
        {budgeted["token"]: mine, plain["token"]: other})
    [membership] = team_info["team_memberships"]
    assert membership["user_id"] == user and membership["spend"] == pytest.approx(mine)

    user_info = admin.get("/user/info", user_id=user)
    assert user_info["user_info"]["spend"] == pytest.approx(mine)
    assert user_info["user_info"]["model_spend"] == pytest.approx(dict(by_model))
    assert [k["spend"] for k in user_info["keys"]] == pytest.approx([mine])

    listed = admin.get("/key/list", team_id=team, return_full_object="true")["keys"]
    assert {k["token"]: k["spend"] for k in listed} == pytest.approx({budgeted["token"]: mine, plain["token"]: other})
    teams = {t["team_id"]: t["spend"] for t in admin.get("/team/list")}
    assert teams[team] == pytest.approx(mine + other)
    users = {u["user_id"]: u["spend"] for u in admin.get("/user/list", page_size=100)["users"]}
    assert users[user] == pytest.approx(mine)


def test_records_without_requests_show_zero_spend(priced: Any) -> None:
    admin = Admin(priced.url)
    key = admin.post("/key/generate", {"max_budget": 1, "budget_duration": "1mo"})
    info = admin.get("/key/info", key=key["token"])["info"]
    assert (info["spend"], info["total_spend"], info["model_spend"]) == (0, 0, {})
    assert info["budget_reset_at"][8:] == "01T00:00:00Z"  # the first of next month, UTC


def _cell(out: str, column: str, row_id: str) -> str:
    """The ``column`` cell of the row starting with ``row_id`` in an aligned CLI table."""
    header, *rows = out.splitlines()
    start = header.index(column)
    end = start + len(column)
    while end < len(header) and header[end] == " ":
        end += 1
    [row] = [r for r in rows if r.startswith(row_id)]
    return row[start:end if end < len(header) else None].strip()


def test_cli_lists_show_spend(priced: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import MASTER_KEY
    from tollway.cli.main import main

    monkeypatch.setenv("TOLLWAY_URL", priced.url)
    monkeypatch.setenv("TOLLWAY_MASTER_KEY", MASTER_KEY)
    admin = Admin(priced.url)
    uid = uuid.uuid4().hex[:8]
    team, user = f"cli-team-{uid}", f"cli-user-{uid}"
    admin.post("/team/new", {"team_id": team})
    admin.post("/user/new", {"user_id": user, "auto_create_key": False})
    key = admin.post("/key/generate", {"team_id": team, "user_id": user})
    cost = sum(_call(priced.url, key["key"], "gpt-4o-mini")[2] for _ in range(3))
    unused = admin.post("/key/generate", {"team_id": team})
    for argv, row_id, expected in ((["keys", "list", "--team", team], key["token"], cost),
                                   (["keys", "list", "--team", team], unused["token"], 0.0),
                                   (["teams", "list"], team, cost), (["users", "list"], user, cost)):
        assert main(argv) == 0
        cell = _cell(capsys.readouterr().out, "SPEND", row_id)
        assert cell.startswith("$") and float(cell[1:]) == pytest.approx(expected, abs=1e-6), (argv, cell)
    assert main(["keys", "list", "--team", team, "--size", "1"]) == 0
    first = capsys.readouterr().out
    assert "2 key(s), page 1 of 2" in first and "next page: --cursor " in first
    assert main(["keys", "list", "--team", team, "--size", "1", "--cursor", first.split("--cursor ")[1].strip()]) == 0
    second = capsys.readouterr().out
    assert {key["token"], unused["token"]} == {first.splitlines()[1].split()[0], second.splitlines()[1].split()[0]}


def test_the_key_count_follows_every_change(priced: Any) -> None:
    admin = Admin(priced.url)

    def total() -> int:
        page = admin.get("/key/list", size=1)
        assert page["total_count"] >= 0
        return int(page["total_count"])

    start = total()  # the first read counts the keys once
    uid = uuid.uuid4().hex[:8]
    made = [admin.post("/key/generate", {"key_alias": f"count-{uid}-{i}"}) for i in range(3)]
    assert total() == start + 3
    admin.post("/key/regenerate", {"key": made[0]["key"]})  # a new secret for the same key: no change
    admin.post("/user/new", {"user_id": f"counted-{uid}"})  # with its first key
    assert total() == start + 4
    admin.post("/team/new", {"team_id": f"count-team-{uid}"})
    admin.post("/key/generate", {"team_id": f"count-team-{uid}"})
    admin.post("/key/delete", {"keys": [made[1]["key"]]})
    admin.call("POST", "/key/delete", {"keys": [made[1]["key"]]})  # already gone: refused, not counted twice
    assert total() == start + 4
    admin.post("/team/delete", {"team_ids": [f"count-team-{uid}"]})
    admin.post("/user/delete", {"user_ids": [f"counted-{uid}"]})
    assert total() == start + 2 == len(admin.get("/key/list", size=1000)["keys"])


def test_a_bad_cursor_is_a_400_naming_it(priced: Any) -> None:
    admin = Admin(priced.url)
    for params in ({}, {"search": "x"}, {"team_id": "nobody"}):
        response = admin.call("GET", "/key/list", cursor="not-a-cursor", **params)
        assert response.status_code == 400 and response.json()["error"]["param"] == "cursor", response.text
    response = admin.call("GET", "/spend/logs", format="litellm", cursor="not-a-cursor")
    assert response.status_code == 400 and response.json()["error"]["param"] == "cursor"
    assert admin.call("GET", "/key/list", page=500, size=100).status_code == 400  # past 10,000 keys: use the cursor


def test_a_regenerated_key_keeps_its_total_spend(priced: Any) -> None:
    admin = Admin(priced.url)
    key = admin.post("/key/generate", {"max_budget": 5, "budget_duration": "30d"})
    before = _call(priced.url, key["key"], "gpt-4o-mini")[2]
    fresh = admin.post("/key/regenerate", {"key": key["key"]})
    after = _call(priced.url, fresh["key"], "claude-haiku")[2]
    info = admin.get("/key/info", key=fresh["key"])["info"]
    assert info["previous_tokens"] == [key["token"]]
    assert info["total_spend"] == pytest.approx(before + after)
    assert info["model_spend"] == pytest.approx({"gpt-4o-mini": before, "claude-haiku": after})
    assert info["spend"] == pytest.approx(before + after)  # a new secret is not a new budget period
    listed = admin.get("/key/list", key_alias=None, return_full_object="true", size=1000)["keys"]
    assert [k["total_spend"] for k in listed if k["token"] == fresh["token"]] == pytest.approx([before + after])


def test_regenerating_a_key_does_not_restart_its_budget(priced: Any) -> None:
    """A key's owner may regenerate it; the new secret must not come with a fresh budget."""
    admin = Admin(priced.url)
    uid = uuid.uuid4().hex[:8]
    admin.post("/user/new", {"user_id": f"owner-{uid}", "auto_create_key": False})
    key = admin.post("/key/generate", {"user_id": f"owner-{uid}", "max_budget": 5})
    client = openai.OpenAI(base_url=f"{priced.url}/v1", api_key=key["key"], max_retries=0)
    raw = client.chat.completions.with_raw_response.create(  # a long prompt: costs more than a short call's worst case
        model="gpt-4o-mini", messages=[{"role": "user", "content": "word " * 2000}], max_tokens=20)
    spent = float(raw.headers["x-tollway-response-cost"])
    admin.post("/key/update", {"key": key["key"], "max_budget": spent})  # spent to the last cent

    def short_call(secret: str) -> None:
        openai.OpenAI(base_url=f"{priced.url}/v1", api_key=secret, max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=1)

    with pytest.raises(openai.RateLimitError):
        short_call(key["key"])
    # the owner regenerates the key with the key itself (an internal user managing their own key)
    fresh = admin.as_(key["key"]).post("/key/regenerate", {"key": key["key"]})
    with pytest.raises(openai.RateLimitError, match=r"has \$[0-9.e-]+ spent or reserved"):
        short_call(fresh["key"])  # the old counter: a fresh one would have served this call
    assert admin.get("/key/info", key=fresh["key"])["info"]["spend"] == pytest.approx(spent)
