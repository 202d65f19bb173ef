"""``/spend/logs`` in LiteLLM's shape with its filters, and ``/global/spend/*``, on both stores.

Keys are real virtual keys (``/key/generate``), so ``api_key`` is filtered by the raw key's digest as
LiteLLM does; a filter never returns another key's rows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.metering.conftest import CALL_COST, MOCK_MODEL, chat_body

ADMIN = {"authorization": f"Bearer {MASTER_KEY}"}
LITELLM_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
LITELLM_FIELDS = {"request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens", "completion_tokens",
                  "startTime", "endTime", "model", "model_group", "user", "metadata", "team_id", "end_user",
                  "request_tags", "status", "custom_llm_provider", "model_id", "completionStartTime"}


@pytest.fixture
def world(store_backend: str, start_gateway: Any, uid: str) -> dict[str, Any]:
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    http = httpx.Client(base_url=gw.url, timeout=30)
    team = f"t-{uid}"
    assert http.post("/team/new", json={"team_id": team, "team_alias": f"alias-{uid}"}, headers=ADMIN).is_success
    keys = {}
    for name in ("a", "b"):
        user = f"{name}-{uid}"
        assert http.post("/user/new", json={"user_id": user, "auto_create_key": False}, headers=ADMIN).is_success
        keys[name] = http.post("/key/generate", json={"team_id": team, "user_id": user}, headers=ADMIN).json()
    for name in ("a", "a", "b"):
        response = http.post("/v1/chat/completions", json=chat_body(),
                             headers={"authorization": f"Bearer {keys[name]['key']}"})
        assert response.status_code == 200, response.text
    return {"http": http, "keys": keys, "team": team, "uid": uid, "today": datetime.now(UTC).date().isoformat()}


def _get(world: dict[str, Any], path: str, *, key: str = MASTER_KEY, expect: int = 200, **params: Any) -> Any:
    response = world["http"].get(path, params=params, headers={"authorization": f"Bearer {key}"})
    assert response.status_code == expect, response.text
    return response.json()


def test_rows_are_litellm_rows_and_every_filter_holds(world: dict[str, Any]) -> None:
    a, b = world["keys"]["a"], world["keys"]["b"]
    rows = _get(world, "/spend/logs", api_key=a["key"])  # the raw key: hashed as LiteLLM does
    assert isinstance(rows, list) and len(rows) == 2
    for row in rows:
        assert row.keys() >= LITELLM_FIELDS
        assert row["api_key"] == a["token"] == row["key_digest"]  # Tollway's own fields stay alongside
        assert row["spend"] == pytest.approx(CALL_COST) and row["cost"] == row["spend"]
        assert row["user"] == f"a-{world['uid']}" and row["team_id"] == world["team"]
        assert row["model_group"] == "metered" and row["call_type"] == "acompletion"
        assert row["total_tokens"] == row["prompt_tokens"] + row["completion_tokens"]
        assert LITELLM_TIME.match(row["startTime"]) and LITELLM_TIME.match(row["endTime"])
        assert row["startTime"] <= row["endTime"] and row["status"] == "success"
    assert [r["api_key"] for r in _get(world, "/spend/logs", api_key=b["token"])] == [b["token"]]
    assert {r["user"] for r in _get(world, "/spend/logs", user_id=f"b-{world['uid']}")} == {f"b-{world['uid']}"}
    [one] = _get(world, "/spend/logs", request_id=rows[1]["request_id"])
    assert one["request_id"] == rows[1]["request_id"] and one["api_key"] == a["token"]
    assert _get(world, "/spend/logs", api_key="sk-not-a-key-of-anyone") == []
    # the key's own holder asking for another key's rows gets nothing of it
    assert _get(world, "/spend/logs", key=a["key"], api_key=b["token"]) == []
    assert len(_get(world, "/spend/logs", key=a["key"])) == 2


def test_date_range_summarizes_by_day_unless_told_not_to(world: dict[str, Any]) -> None:
    a = world["keys"]["a"]
    today = world["today"]
    [day] = _get(world, "/spend/logs", api_key=a["key"], start_date=today, end_date=today)
    assert day["startTime"] == today and day["spend"] == pytest.approx(2 * CALL_COST)
    assert day[a["token"]] == pytest.approx(2 * CALL_COST)
    assert day["users"] == pytest.approx({f"a-{world['uid']}": 2 * CALL_COST})
    assert day["models"] == pytest.approx({"metered": 2 * CALL_COST})
    rows = _get(world, "/spend/logs", api_key=a["key"], start_date=today, end_date=today, summarize="false")
    assert len(rows) == 2 and all(r["api_key"] == a["token"] for r in rows)


def test_tollway_wrapper_stays_available(world: dict[str, Any]) -> None:
    page = _get(world, "/spend/logs", team_id=world["team"], start_date=world["today"])
    assert page["object"] == "list" and len(page["data"]) == 3 and "startTime" not in page["data"][0]
    page = _get(world, "/spend/logs", format="tollway", api_key=world["keys"]["b"]["key"], limit=5)
    assert [r["key_digest"] for r in page["data"]] == [world["keys"]["b"]["token"]]
    _get(world, "/spend/logs", format="csv", expect=400)


def test_global_spend_logs_and_report(world: dict[str, Any]) -> None:
    a, b = world["keys"]["a"], world["keys"]["b"]
    today = world["today"]
    assert _get(world, "/global/spend/logs", api_key=a["key"]) == [
        {"date": today, "spend": pytest.approx(2 * CALL_COST), "api_key": a["token"]}]
    totals = _get(world, "/global/spend/logs")
    by_day = {r["date"]: r["spend"] for r in totals}
    assert list(by_day) == sorted(by_day) and by_day[today] >= 3 * CALL_COST - 1e-12
    [report] = _get(world, "/global/spend/report", start_date=today, end_date=today, api_key=a["key"])
    assert report["api_key"] == a["token"] and report["total_cost"] == pytest.approx(2 * CALL_COST)
    assert [m["model"] for m in report["model_details"]] == ["metered"]
    by_user = _get(world, "/global/spend/report", start_date=today, end_date=today,
                   internal_user_id=f"b-{world['uid']}")
    assert [r["api_key"] for r in by_user] == [b["token"]]
    [day] = _get(world, "/global/spend/report", start_date=today, end_date=today, team_id=world["team"])
    assert day["group_by_day"] == f"{today}T00:00:00+00:00"
    [team] = day["teams"]
    assert team["team_name"] == f"alias-{world['uid']}" and team["total_spend"] == pytest.approx(3 * CALL_COST)
    assert {m["api_key"] for m in team["metadata"]} == {a["token"], b["token"]}
    _get(world, "/global/spend/report", start_date=today, expect=400)
    _get(world, "/global/spend/report", start_date=today, end_date=today, group_by="customer", expect=400)
    # RBAC as /spend/*: a key's holder sees only its own spend
    mine = _get(world, "/global/spend/report", key=a["key"], start_date=today, end_date=today, group_by="api_key")
    assert [r["api_key"] for r in mine] == [a["token"]]
