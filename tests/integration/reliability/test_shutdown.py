"""``tollway serve`` exits within a bound after SIGTERM, even with a stream trickling in."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.fakes.faulty_upstream import FaultyUpstream
from tests.integration.reliability.support import deployment
from tests.integration.test_cli_serve import TOLLWAY, _env
from tests.support.servers import free_port

DRAIN = 2


def _wait_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health/liveliness").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "tollway serve did not become ready"
        time.sleep(0.2)


def test_sigterm_drains_for_a_bounded_time_then_exits(tmp_path: Path, faulty: FaultyUpstream) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_list": [deployment(faulty, "keepalive", timeout=300, stream_timeout=300)],
                                  "general_settings": {"master_key": "sk-shutdown-test"}}))
    port = free_port()
    process = subprocess.Popen([*TOLLWAY, "serve", "--config", str(config), "--port", str(port), "--data-dir",
                                str(tmp_path / "data"), "--drain-seconds", str(DRAIN)],
                               env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        before = faulty.hits["keepalive"]
        outcome: list[object] = []

        def stream() -> None:
            try:
                with httpx.stream("POST", f"{base}/v1/chat/completions", timeout=120, json={
                        "model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
                        headers={"authorization": "Bearer sk-shutdown-test"}) as response:
                    outcome.append(response.status_code)
                    for _ in response.iter_bytes():
                        pass
            except httpx.HTTPError as exc:
                outcome.append(type(exc).__name__)

        client = threading.Thread(target=stream, daemon=True)
        client.start()
        for _ in range(200):  # the upstream is pinging the gateway: a request is in flight
            if faulty.hits["keepalive"] > before:
                break
            time.sleep(0.05)
        assert faulty.hits["keepalive"] > before
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=DRAIN + 30)
        assert time.monotonic() - started < DRAIN + 10
        client.join(timeout=30)
        assert not client.is_alive() and outcome  # the client was answered or cut off, not left hanging
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_replays_queued_settlements_at_startup(tmp_path: Path) -> None:
    """A settlement queued by an earlier run (store away) is written when ``tollway serve`` starts."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from tollway.metering.settlement_queue import JournalQueue, PendingSettlement
    from tollway.metering.spend import iso
    from tollway.storage.counters_repo import Lease

    data = tmp_path / "data"
    now = datetime.now(UTC).timestamp()
    record = {"request_id": "req-queued", "team_id": "t-queued", "key_digest": "k-queued", "model": "m",
              "cost": 0.25, "status": "success", "started_at": iso(now), "ended_at": iso(now)}
    lease = Lease("budget", "key", "k-queued", "all", Decimal("0.5"), Decimal(1), "key budget")
    JournalQueue(data / "settlements.journal").put(PendingSettlement("rsv-queued", [lease], {0: Decimal("0.25")},
                                                                     record, None))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}],
                                  "general_settings": {"master_key": "sk-replay-test"}}))
    port = free_port()
    env = {k: v for k, v in _env().items() if k != "TOLLWAY_SETTLEMENT_JOURNAL"}  # the data dir's own journal
    process = subprocess.Popen([*TOLLWAY, "serve", "--config", str(config), "--port", str(port), "--data-dir",
                                str(data)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        assert (data / "settlements.journal").read_text() == ""  # replayed and compacted
        logs = httpx.get(f"{base}/spend/logs", params={"team_id": "t-queued", "start_date": iso(now)[:10]},
                         headers={"authorization": "Bearer sk-replay-test"}).json()["data"]
        assert [(log["request_id"], log["cost"]) for log in logs] == [("req-queued", 0.25)]
    finally:
        process.terminate()
        process.wait(timeout=30)
