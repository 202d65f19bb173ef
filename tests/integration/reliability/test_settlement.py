"""Settlement is never dropped: a store outage or stall after the upstream answered leaves the
client its answer, queues the settlement durably, and a replay records it exactly once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.metering.conftest import CALL_COST, MOCK_MODEL, chat_body
from tests.integration.reliability.faults import FaultyCounters
from tests.integration.reliability.support import assert_nothing_open, counters, metered_key, with_keys
from tollway.metering import settlement_writer
from tollway.metering.settlement_queue import JournalQueue, PendingSettlement, SqsQueue
from tollway.storage.client import ensure_tables
from tollway.storage.counters_repo import CountersRepo, Lease


def _gateway(start_gateway: Any, uid: str, **general: Any) -> tuple[Any, FaultyCounters]:
    gw = with_keys(start_gateway({"model_list": [MOCK_MODEL], "general_settings": general}),
                   {"sk-s": metered_key(uid)})
    faulty = FaultyCounters()
    gw.app.state.gateway.meter.counters = faulty
    return gw, faulty


def _chat(gw: Any, **extra: Any) -> httpx.Response:
    return httpx.post(f"{gw.url}/v1/chat/completions", json=chat_body(**extra),
                      headers={"authorization": "Bearer sk-s"}, timeout=60)


def _logs(gw: Any, uid: str) -> list[dict[str, Any]]:
    today = datetime.now(UTC).date().isoformat()
    response = httpx.get(f"{gw.url}/spend/logs", params={"team_id": f"t-{uid}", "start_date": today},
                         headers={"authorization": f"Bearer {MASTER_KEY}"})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _journal_entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []


def test_outage_at_settlement_queues_then_replay_records_exactly_once(  # type: ignore[no-untyped-def]
        store_backend, start_gateway, uid, tmp_path, monkeypatch, capfd) -> None:
    monkeypatch.setenv("TOLLWAY_EMF_METRICS", "1")
    monkeypatch.setattr(settlement_writer, "REPLAY_INTERVAL", 3600.0)  # replays happen when this test says
    gw, faulty = _gateway(start_gateway, uid)
    gw.app.state.gateway.meter.settlements._last_replay = time.monotonic()
    faulty.down.add("settle")
    response = _chat(gw)
    assert response.status_code == 200  # the client keeps its answer
    assert float(response.headers["x-tollway-response-cost"]) == pytest.approx(CALL_COST)
    assert faulty.calls["settle"] == 3  # tried with backoff within the request
    [entry] = _journal_entries(tmp_path / "settlements.journal")
    assert entry["reservation_id"].startswith("rsv-") and entry["record"]["status"] == "success"
    assert "SettlementsQueued" in capfd.readouterr().out
    assert counters(uid)["key_spent"] == 0 and counters(uid)["key_reservations"] == 1  # not yet recorded

    faulty.down.clear()
    meter = gw.app.state.gateway.meter
    assert meter.settlements.replay() == 1
    assert meter.settlements.replay() == 0  # the journal is done (and compacted)
    assert (tmp_path / "settlements.journal").read_text() == ""
    meter.apply(PendingSettlement.from_json(json.dumps(entry)))  # replayed twice by a crash: still once
    state = counters(uid)
    assert_nothing_open(state)
    assert float(state["key_spent"]) == pytest.approx(CALL_COST) and float(state["team_spent"]) == pytest.approx(
        CALL_COST)
    assert len(_logs(gw, uid)) == 1


def test_stalled_store_at_settlement_is_bounded_and_still_counts_once(  # type: ignore[no-untyped-def]
        store_backend, start_gateway, uid, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TOLLWAY_STORE_TIMEOUT", "2")  # generous for the (healthy) reservation on a busy machine
    monkeypatch.setattr(settlement_writer, "REPLAY_INTERVAL", 3600.0)
    gw, faulty = _gateway(start_gateway, uid)
    ensure_tables()
    gw.app.state.gateway.meter.settlements._last_replay = time.monotonic()
    faulty.stall["settle"] = 6  # every settle hangs, then (late) does its work
    started = time.monotonic()
    response = _chat(gw)
    assert response.status_code == 200
    assert time.monotonic() - started < 6  # answered without waiting for the stalled store
    assert len(_journal_entries(tmp_path / "settlements.journal")) == 1
    attempts = faulty.calls["settle"]
    assert attempts >= 1
    for _ in range(100):  # the stalled attempts finish late: one writes, any other finds it settled
        if faulty.done["settle"] == attempts:
            break
        time.sleep(0.1)
    del faulty.stall["settle"]
    gw.app.state.gateway.meter.settlements.replay()
    state = counters(uid)
    assert_nothing_open(state)
    assert float(state["key_spent"]) == pytest.approx(CALL_COST)
    assert len(_logs(gw, uid)) == 1


def test_outage_at_reserve_is_503_with_retry_after(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    gw, faulty = _gateway(start_gateway, uid)
    faulty.down.add("reserve")
    response = _chat(gw)
    assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["code"] == "store_unavailable"
    faulty.down.clear()
    assert _chat(gw).status_code == 200
    assert_nothing_open(counters(uid))


def test_stalled_store_at_reserve_is_a_bounded_503_and_the_late_reservation_is_released(  # type: ignore[no-untyped-def]
        store_backend, start_gateway, uid, monkeypatch) -> None:
    monkeypatch.setenv("TOLLWAY_STORE_TIMEOUT", "0.5")
    gw, faulty = _gateway(start_gateway, uid)
    faulty.stall["reserve"] = 2.0
    started = time.monotonic()
    response = _chat(gw)
    assert response.status_code == 503 and response.headers["retry-after"]
    assert time.monotonic() - started < 0.5 + 5
    for _ in range(100):  # the stalled write lands later; then its slot and budget are handed back
        if faulty.done["settle"] and faulty.done["settle"] == faulty.calls["settle"]:
            break
        time.sleep(0.1)
    assert faulty.done["reserve"] == 1 and faulty.done["settle"] >= 1
    state = counters(uid)
    assert_nothing_open(state)
    assert state["key_spent"] == 0


def test_a_reclaimed_reservation_is_charged_its_actual_cost_by_the_late_settlement(store_backend, uid) -> None:  # type: ignore[no-untyped-def]
    ensure_tables()
    repo = CountersRepo()
    lease = Lease("budget", "key", f"k-{uid}", "all", Decimal("0.8"), Decimal(1), "key budget")
    repo.reserve([lease], "rsv-crashed", lease_seconds=10, now=1000.0)
    other = Lease("budget", "key", f"k-{uid}", "all", Decimal("0.5"), Decimal(1), "key budget")
    repo.reserve([other], "rsv-next", lease_seconds=10, now=1011.0)  # reclaims the expired one
    entry = PendingSettlement("rsv-crashed", [lease], {0: Decimal("0.3")}, {}, None)
    for _ in range(3):  # queued, then replayed more than once: added once
        assert repo.settle(entry.leases, entry.reservation_id, entry.actual, []) in (0, 2)
    state = repo.budget("key", f"k-{uid}", "all")
    assert state["spent"] == Decimal("0.3") and state["committed"] == Decimal("0.8")  # 0.3 + 0.5 still open


def test_journal_survives_torn_lines_and_keeps_failed_entries(tmp_path: Path) -> None:
    journal = JournalQueue(tmp_path / "j")
    entries = [PendingSettlement(f"rsv-{i}", [], {}, {"request_id": str(i)}, None) for i in range(3)]
    for entry in entries:
        journal.put(entry)
    with (tmp_path / "j").open("a") as f:
        f.write('{"reservation_id": "rsv-torn", "lea')  # a crash mid-write
    seen: list[str] = []

    def flaky(entry: PendingSettlement) -> None:
        seen.append(entry.reservation_id)
        if entry.reservation_id == "rsv-1" and seen.count("rsv-1") == 1:
            raise ConnectionError("store down")

    with pytest.raises(ConnectionError):
        journal.replay(flaky, limit=10)
    assert journal.replay(flaky, limit=10) == 2  # rsv-0 was done before the failure
    assert seen == ["rsv-0", "rsv-1", "rsv-1", "rsv-2"]
    assert journal.replay(flaky, limit=10) == 0


def test_sqs_queue_end_to_end(store_backend, _moto_dynamodb, start_gateway, uid, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On AWS the queue is SQS (``TOLLWAY_SETTLEMENT_QUEUE_URL``): here moto's, on loopback."""
    sqs = boto3.client("sqs", endpoint_url=_moto_dynamodb, region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"settlements-{uid}")["QueueUrl"]
    monkeypatch.setenv("TOLLWAY_SETTLEMENT_QUEUE_URL", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", _moto_dynamodb)
    monkeypatch.setattr(settlement_writer, "REPLAY_INTERVAL", 3600.0)
    gw, faulty = _gateway(start_gateway, uid)
    meter = gw.app.state.gateway.meter
    meter.settlements._last_replay = time.monotonic()
    faulty.down.add("settle")
    assert _chat(gw).status_code == 200
    assert isinstance(meter.settlements.queue, SqsQueue)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    assert len(messages) == 1 and json.loads(messages[0]["Body"])["record"]["team_id"] == f"t-{uid}"
    faulty.down.clear()
    assert meter.settlements.replay() == 1
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") is None
    state = counters(uid)
    assert_nothing_open(state)
    assert float(state["key_spent"]) == pytest.approx(CALL_COST)


def test_a_client_that_gives_up_on_a_plain_call_is_settled_as_abandoned(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    slow = {"model_name": "metered", "litellm_params": {**MOCK_MODEL["litellm_params"], "mock_latency_ms": 1500}}
    gw = with_keys(start_gateway({"model_list": [slow]}), {"sk-s": metered_key(uid)})
    ensure_tables()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{gw.url}/v1/chat/completions", json=chat_body(), headers={"authorization": "Bearer sk-s"},
                   timeout=httpx.Timeout(0.5, connect=5))
    logs: list[dict[str, Any]] = []
    for _ in range(100):
        logs = _logs(gw, uid)
        if logs:
            break
        time.sleep(0.1)
    [log] = logs
    assert log["status"] == "abandoned" and log["error_type"] == "client_disconnected"
    assert log["cost"] == pytest.approx(CALL_COST)  # the upstream answered: it is still charged
    state = counters(uid)
    assert_nothing_open(state)
    assert float(state["key_spent"]) == pytest.approx(CALL_COST)
