"""Spend reports equal the sum of spend logs; store round trips per request; EMF metrics; abandoned streams."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.metering.conftest import MOCK_MODEL, chat_body
from tests.integration.metering.support import StaticLookup
from tollway.auth.context import AuthContext, Limits

ADMIN = {"authorization": f"Bearer {MASTER_KEY}"}
STREAMING = {"model_name": "streamer", "litellm_params": {
    "model": "mock/streamer", "mock_response": " ".join(["word"] * 40), "input_cost_per_token": 1e-06,
    "output_cost_per_token": 2e-06, "mock_chunk_delay_ms": 30}}


def _gateway(start_gateway: Any, keys: dict[str, AuthContext]) -> Any:
    gw = start_gateway({"model_list": [MOCK_MODEL, STREAMING]})
    gw.app.state.gateway.auth.lookup = StaticLookup(keys)
    return gw


def _logs(url: str, **params: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": "3", **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{url}/spend/logs", params=query, headers=ADMIN).json()
        rows += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return rows


def test_report_totals_equal_the_sum_of_logs(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    keys = {f"sk-{i}": AuthContext(kind="virtual_key", key_digest=f"k{i}-{uid}", team_id=f"t{i % 2}-{uid}",
                                   user_id=f"u-{uid}") for i in range(3)}
    gw = _gateway(start_gateway, keys)

    async def burst() -> None:
        async with httpx.AsyncClient(base_url=gw.url, timeout=30) as client:
            await asyncio.gather(*[client.post("/v1/chat/completions", json=chat_body(max_tokens=3 + i % 3),
                                               headers={"authorization": f"Bearer sk-{i % 3}"}) for i in range(9)])
    asyncio.run(burst())
    logs = [row for team in (f"t0-{uid}", f"t1-{uid}") for row in _logs(gw.url, team_id=team)]
    assert len(logs) == 9 and len({row["request_id"] for row in logs}) == 9  # paginated without repeats
    log_total = sum(row["cost"] for row in logs)
    today = datetime.now(UTC).date().isoformat()
    by_team = httpx.get(f"{gw.url}/spend/report", params={"group_by": "team", "start_date": today}, headers=ADMIN)
    rows = {row["team"]: row for row in by_team.json()["rows"]}
    mine = [rows[f"t0-{uid}"], rows[f"t1-{uid}"]]
    assert sum(r["spend"] for r in mine) == pytest.approx(log_total)
    assert sum(r["requests"] for r in mine) == 9
    by_key = httpx.get(f"{gw.url}/spend/report", params={"group_by": "key", "start_date": today}, headers=ADMIN).json()
    keyed = [r for r in by_key["rows"] if r["key"].endswith(uid)]
    for row in keyed:
        assert row["spend"] == pytest.approx(sum(lg["cost"] for lg in logs if lg["key_digest"] == row["key"]))
    day = httpx.get(f"{gw.url}/spend/report", params={"group_by": "day", "start_date": today}, headers=ADMIN).json()
    assert day["rows"][0]["day"] == today and day["total"]["requests"] >= 9
    own = httpx.get(f"{gw.url}/spend/report", params={"group_by": "key", "start_date": today},
                    headers={"authorization": "Bearer sk-0"})  # a plain key sees its user's spend only
    assert own.status_code == 200 and {r["key"] for r in own.json()["rows"]} == {f"k{i}-{uid}" for i in range(3)}


def test_two_store_round_trips_per_limited_request(store_backend, start_gateway, uid, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_EMF_METRICS", "1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "tollway")  # as on Lambda: must not join the (Team) set
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}", limits=(
        Limits(scope="key", scope_id=f"k-{uid}", max_budget=10, rpm_limit=100, tpm_limit=100000,
               max_parallel_requests=5),
        Limits(scope="team", scope_id=f"t-{uid}", max_budget=10, budget_duration="1mo")))
    gw = _gateway(start_gateway, {"sk-rt": auth})
    httpx.post(f"{gw.url}/v1/chat/completions", json=chat_body(), headers=ADMIN)  # warm: local tables made
    from tollway.storage.client import store

    before = store().round_trips.copy()
    capsys.readouterr()
    response = httpx.post(f"{gw.url}/v1/chat/completions", json=chat_body(), headers={"authorization": "Bearer sk-rt"})
    calls = store().round_trips - before
    assert response.status_code == 200
    # reserve (6 counters) + settle (counters, log, rollups); the key's budget counter is read alongside the
    # settlement for x-tollway-key-spend (a transaction returns no values), so it adds no wait
    assert calls == Counter({"transact": 2, "get": 1})
    assert response.headers["x-tollway-key-spend"] == response.headers["x-tollway-response-cost"] == "0.005"
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    [doc] = emf
    directives = doc["_aws"]["CloudWatchMetrics"]
    assert {d["Namespace"] for d in directives} == {"Tollway"}
    # only the dimension sets the dashboard reads, each with only the metrics read under it
    assert {tuple(d["Dimensions"][0]): sorted(m["Name"] for m in d["Metrics"]) for d in directives} == {
        ("Team",): ["CostUSD", "Requests"],
        ("Model",): ["CachedTokens", "CostUSD", "InputTokens", "LatencyMs", "OutputTokens", "TTFTMs"],
        ("Provider",): ["CostUSD", "Errors"],
    }
    assert doc["Team"] == f"t-{uid}" and doc["Model"] == "metered" and doc["Provider"] == "mock"
    assert doc["CostUSD"] == pytest.approx(0.005) and doc["OutputTokens"] == 5
    assert doc["key_digest"] == f"k-{uid}" and doc["Requests"] == 1 and doc["Errors"] == 0


def test_abandoned_stream_is_charged_for_what_was_generated(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", max_budget=1),))
    gw = _gateway(start_gateway, {"sk-s": auth})
    body = {"model": "streamer", "stream": True, "messages": [{"role": "user", "content": "go"}]}
    with httpx.stream("POST", f"{gw.url}/v1/chat/completions", json=body,
                      headers={"authorization": "Bearer sk-s"}) as response:
        assert response.status_code == 200
        seen = 0
        for line in response.iter_lines():
            seen += line.startswith("data: ")
            if seen >= 5:
                break  # hang up mid-stream
    deadline = time.monotonic() + 10
    logs: list[dict[str, Any]] = []
    while not logs:
        assert time.monotonic() < deadline, "the abandoned stream was never recorded"
        time.sleep(0.1)
        logs = _logs(gw.url, team_id=f"t-{uid}")
    [log] = logs
    assert log["status"] == "abandoned" and log["error_type"] == "client_disconnected"
    assert log["usage_estimated"] is True and 0 < log["completion_tokens"] < 40
    assert log["cost"] == pytest.approx(log["prompt_tokens"] * 1e-06 + log["completion_tokens"] * 2e-06)


def test_cli_spend_report_table_csv_json(store_backend, start_gateway, uid, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tollway.cli.main import main

    gw = _gateway(start_gateway, {"sk-c": AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}")})
    assert httpx.post(f"{gw.url}/v1/chat/completions", json=chat_body(),
                      headers={"authorization": "Bearer sk-c"}).status_code == 200
    monkeypatch.setenv("TOLLWAY_MASTER_KEY", MASTER_KEY)
    assert main(["spend", "report", "--group-by", "key", "--url", gw.url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert next(r for r in report["rows"] if r["key"] == f"k-{uid}")["spend"] == pytest.approx(0.005)
    assert main(["spend", "report", "--group-by", "key", "--url", gw.url, "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("key,spend,requests") and f"k-{uid},0.005,1,0" in "\n".join(lines)
    assert main(["spend", "report", "--group-by", "key", "--url", gw.url]) == 0
    table = capsys.readouterr().out
    assert table.startswith("KEY") and f"k-{uid}" in table and "TOTAL" in table
    monkeypatch.setenv("TOLLWAY_MASTER_KEY", "sk-wrong")
    assert main(["spend", "report", "--url", gw.url]) == 1


def test_stream_reports_its_cost_in_the_usage_chunk(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    gw = _gateway(start_gateway, {"sk-u": AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}")})
    body = {"model": "streamer", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "go"}]}
    with httpx.stream("POST", f"{gw.url}/v1/chat/completions", json=body,
                      headers={"authorization": "Bearer sk-u"}) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    usage = json.loads(events[-2])["usage"]
    assert usage["completion_tokens"] == 40
    assert usage["cost"] == pytest.approx(usage["prompt_tokens"] * 1e-06 + 40 * 2e-06)
    [log] = _logs(gw.url, team_id=f"t-{uid}")
    assert log["status"] == "success" and log["cost"] == pytest.approx(usage["cost"])
    assert log["ttft_ms"] <= log["latency_ms"]
