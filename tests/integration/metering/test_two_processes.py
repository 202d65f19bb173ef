"""Budgets and rate limits hold exactly across two gateway processes sharing one store (both backends).

Each process is the real app under uvicorn in its own interpreter (``gateway_proc.py``); a
test-only ``StaticLookup`` (re-read from a JSON file) stands in for identity's keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.metering.conftest import CALL_COST, MOCK_MODEL, chat_body
from tests.integration.metering.support import GatewayProcess, write_keys
from tollway.auth.context import AuthContext, Limits
from tollway.metering.periods import period
from tollway.storage.counters_repo import CountersRepo

pytestmark = pytest.mark.slow
SLOW_MODEL = {"model_name": "slow", "litellm_params": {**MOCK_MODEL["litellm_params"], "mock_latency_ms": 60000}}


@pytest.fixture(scope="module")
def cluster(store_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    keys_path: Path = tmp_path_factory.mktemp("cluster") / "keys.json"
    write_keys(keys_path, {})
    config = {"model_list": [MOCK_MODEL, SLOW_MODEL],
              "general_settings": {"master_key": "sk-master", "reservation_ttl_seconds": 3}}
    procs = [GatewayProcess(config, keys_path) for _ in range(2)]
    yield keys_path, procs
    for proc in procs:
        proc.stop()


async def _fire(urls: list[str], key: str, n: int, model: str = "metered") -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as client:
        return list(await asyncio.gather(*[
            client.post(f"{urls[i % len(urls)]}/v1/chat/completions", json=chat_body(model=model),
                        headers={"authorization": f"Bearer {key}"})
            for i in range(n)
        ]))


def _budget_key(uid: str, max_budget: float, scope: str = "key") -> AuthContext:
    ident = f"{scope[0]}-{uid}"
    return AuthContext(kind="virtual_key", key_digest=f"k-{uid}", team_id=f"t-{uid}", limits=(
        Limits(scope=scope, scope_id=ident, max_budget=max_budget, budget_duration="1d"),))  # type: ignore[arg-type]


@pytest.mark.parametrize("scope", ["key", "team"])
def test_budget_is_never_exceeded_and_raising_it_frees_exactly_the_headroom(cluster, uid, scope) -> None:  # type: ignore[no-untyped-def]
    keys_path, procs = cluster
    urls = [p.url for p in procs]
    write_keys(keys_path, {f"sk-{uid}": _budget_key(uid, CALL_COST * 10.5, scope)})
    first = asyncio.run(_fire(urls, f"sk-{uid}", 40))
    answered = [r for r in first if r.status_code == 200]
    refused = [r for r in first if r.status_code == 429]
    assert len(answered) == 10 and len(refused) == 30  # the most $0.0525 allows at $0.005 a call
    assert {r.json()["error"]["type"] for r in refused} == {"budget_exceeded"}
    assert {r.headers["x-tollway-response-cost"] for r in answered} == {"0.005"}
    bucket, _ = period("1d", datetime.now(UTC).timestamp())
    state = CountersRepo().budget(scope, f"{scope[0]}-{uid}", bucket)
    assert state["spent"] == Decimal("0.050") and state["committed"] == state["spent"]
    assert state["reservations"] == 0

    write_keys(keys_path, {f"sk-{uid}": _budget_key(uid, CALL_COST * 15.5, scope)})
    second = asyncio.run(_fire(urls, f"sk-{uid}", 40))
    assert sum(r.status_code == 200 for r in second) == 5
    state = CountersRepo().budget(scope, f"{scope[0]}-{uid}", bucket)
    assert state["spent"] == Decimal("0.075") and state["committed"] == state["spent"]


def test_rpm_limit_is_exact_across_processes(cluster, uid) -> None:  # type: ignore[no-untyped-def]
    keys_path, procs = cluster
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}",
                       limits=(Limits(scope="key", scope_id=f"k-{uid}", rpm_limit=10),))
    write_keys(keys_path, {f"sk-{uid}": auth})
    if time.time() % 60 > 50:  # keep the burst inside one fixed minute window
        time.sleep(61 - time.time() % 60)
    responses = asyncio.run(_fire([p.url for p in procs], f"sk-{uid}", 30))
    assert sum(r.status_code == 200 for r in responses) == 10
    refused = [r for r in responses if r.status_code == 429]
    assert len(refused) == 20
    for response in refused:
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["x-ratelimit-limit-requests"] == "10"
        assert response.headers["x-ratelimit-remaining-requests"] == "0"
        assert response.json()["error"]["type"] == "rate_limit_error"


def test_reservation_of_a_killed_process_expires(cluster, uid, store_backend) -> None:  # type: ignore[no-untyped-def]
    keys_path, procs = cluster
    write_keys(keys_path, {f"sk-{uid}": _budget_key(uid, CALL_COST * 1.5)})  # room for one call
    victim = GatewayProcess({"model_list": [MOCK_MODEL, SLOW_MODEL],
                             "general_settings": {"master_key": "sk-master", "reservation_ttl_seconds": 3}},
                            keys_path)
    repo = CountersRepo()
    bucket, _ = period("1d", datetime.now(UTC).timestamp())
    with httpx.Client(timeout=60) as client:
        import threading

        hung = threading.Thread(target=lambda: _ignore(lambda: client.post(
            f"{victim.url}/v1/chat/completions", json=chat_body(model="slow"),
            headers={"authorization": f"Bearer sk-{uid}"})), daemon=True)
        hung.start()
        deadline = time.monotonic() + 20
        while repo.budget("key", f"k-{uid}", bucket)["reservations"] == 0:
            assert time.monotonic() < deadline, "the slow call never reserved"
            time.sleep(0.05)
        reserved_at = time.monotonic()
        victim.kill()
        hung.join(timeout=10)
    early = asyncio.run(_fire([procs[0].url], f"sk-{uid}", 1))[0]
    if time.monotonic() - reserved_at < 2.5:  # only meaningful while the lease is surely live
        assert early.status_code == 429 and early.json()["error"]["type"] == "budget_exceeded"
    time.sleep(max(0.0, 3.5 - (time.monotonic() - reserved_at)))
    late = asyncio.run(_fire([procs[1].url], f"sk-{uid}", 1))[0]
    assert late.status_code == 200
    state = repo.budget("key", f"k-{uid}", bucket)
    assert state["spent"] == Decimal("0.005") and state["committed"] == state["spent"]
    assert state["reservations"] == 0


def _ignore(call: Any) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


def test_provider_budget_across_processes(store_backend, tmp_path, uid) -> None:  # type: ignore[no-untyped-def]
    keys_path = tmp_path / "keys.json"
    write_keys(keys_path, {f"sk-{uid}": AuthContext(kind="virtual_key", key_digest=f"k-{uid}")})
    # "3d": a bucket no other test uses (the provider counter is shared by every mock call with this budget)
    config = {"model_list": [MOCK_MODEL], "general_settings": {
        "master_key": "sk-master", "provider_budgets": {"mock": {"max_budget": CALL_COST * 10.5,
                                                                  "budget_duration": "3d"}}}}
    procs = [GatewayProcess(config, keys_path) for _ in range(2)]
    try:
        responses = asyncio.run(_fire([p.url for p in procs], f"sk-{uid}", 40))
    finally:
        for proc in procs:
            proc.stop()
    assert sum(r.status_code == 200 for r in responses) == 10
    refused = [r.json()["error"] for r in responses if r.status_code == 429]
    assert len(refused) == 30 and all("provider 'mock' budget" in e["message"] for e in refused)
    state = CountersRepo().budget("provider", "mock", period("3d", datetime.now(UTC).timestamp())[0])
    assert state["spent"] == Decimal("0.050") and state["committed"] == state["spent"]


def test_spend_on_records_equals_the_costs_charged_by_both_processes(cluster, uid) -> None:  # type: ignore[no-untyped-def]
    keys_path, procs = cluster
    urls = [p.url for p in procs]
    admin = {"authorization": "Bearer sk-master"}
    team, user = f"t-{uid}", f"u-{uid}"
    with httpx.Client(timeout=30, headers=admin) as http:
        assert http.post(f"{urls[0]}/team/new", json={"team_id": team}).status_code == 200
        assert http.post(f"{urls[0]}/user/new", json={"user_id": user, "auto_create_key": False}).status_code == 200
        token = http.post(f"{urls[0]}/key/generate", json={"team_id": team, "user_id": user, "max_budget": 1,
                                                            "budget_duration": "1d"}).json()["token"]
        write_keys(keys_path, {f"sk-{uid}": AuthContext(
            kind="virtual_key", key_digest=token, team_id=team, user_id=user,
            limits=(Limits(scope="key", scope_id=token, max_budget=1, budget_duration="1d"),))})
        answered = [r for r in asyncio.run(_fire(urls, f"sk-{uid}", 24)) if r.status_code == 200]
        assert len(answered) == 24
        charged = sum(Decimal(r.headers["x-tollway-response-cost"]) for r in answered)
        info = http.get(f"{urls[1]}/key/info", params={"key": token}).json()["info"]
        assert Decimal(str(info["spend"])) == Decimal(str(info["total_spend"])) == charged
        assert info["model_spend"] == {"metered": float(charged)}
        for path, params, field in (("/team/info", {"team_id": team}, "team_info"),
                                    ("/user/info", {"user_id": user}, "user_info")):
            assert Decimal(str(http.get(f"{urls[0]}{path}", params=params).json()[field]["spend"])) == charged
