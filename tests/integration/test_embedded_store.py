"""``tollway serve`` on its embedded SQLite store, as a user runs it (real processes, one data dir).

* ``kill -9`` at random points of a write burst: every acknowledged key and spend log is there after
  a restart.
* Two ``tollway serve`` processes on one data dir: a budget is never exceeded, rpm is exact, and the
  spend logged equals the sum of the costs the clients were told.
* The old moto snapshot is imported on first start, with a log line, and renamed.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.integration.test_cli_serve import TOLLWAY, _env
from tests.support.servers import free_port

pytestmark = pytest.mark.slow
MASTER = "sk-store-test-master"
ADMIN = {"authorization": f"Bearer {MASTER}"}
CONFIG = {
    "model_list": [{"model_name": "metered", "litellm_params": {
        "model": "mock/metered", "mock_response": "a b c d e", "input_cost_per_token": 0.0,
        "output_cost_per_token": 0.001, "mock_latency_ms": 5}}],
    "general_settings": {"master_key": MASTER},
}
BODY = {"model": "metered", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}


class Serve:
    """One ``tollway serve`` process on ``data_dir``."""

    def __init__(self, tmp_path: Path, data_dir: Path) -> None:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(CONFIG))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr_path = tmp_path / f"serve-{self.port}.log"
        self.proc = subprocess.Popen([*TOLLWAY, "serve", "--config", str(config), "--port", str(self.port),
                                      "--data-dir", str(data_dir)], env=_env(), stdout=subprocess.DEVNULL,
                                     stderr=self.stderr_path.open("w"), text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health/readiness").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.stderr
            assert time.monotonic() < deadline, "tollway serve did not become ready"
            time.sleep(0.1)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def _spend_logs(url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{url}/spend/logs", params=params, headers=ADMIN, timeout=30).json()
        rows += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    return rows


def test_nothing_acknowledged_is_lost_on_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rng = random.Random(19)
    keys: dict[str, str] = {}  # raw key -> token, for every key whose creation was acknowledged
    answered: set[str] = set()  # request ids of answered (metered) chat calls
    for _round in range(3):
        server = Serve(tmp_path, data)
        user_key = httpx.post(f"{server.url}/key/generate", json={"max_budget": 1000}, headers=ADMIN).json()["key"]
        keys[user_key] = "bootstrap"
        stop = threading.Event()

        def make_keys(url: str = server.url, stop: threading.Event = stop) -> None:
            with httpx.Client(timeout=10) as http:
                while not stop.is_set():
                    try:
                        made = http.post(f"{url}/key/generate", json={"metadata": {" ": 1, "n": "ü"}}, headers=ADMIN)
                    except httpx.TransportError:
                        return
                    if made.status_code == 200:
                        keys[made.json()["key"]] = made.json()["token"]

        def chat(url: str = server.url, key: str = user_key, stop: threading.Event = stop) -> None:
            with httpx.Client(timeout=10) as http:
                while not stop.is_set():
                    try:
                        reply = http.post(f"{url}/v1/chat/completions", json=BODY,
                                          headers={"authorization": f"Bearer {key}"})
                    except httpx.TransportError:
                        return
                    if reply.status_code == 200:
                        answered.add(reply.headers["x-request-id"])

        workers = [threading.Thread(target=target) for target in (make_keys, make_keys, chat, chat)]
        for worker in workers:
            worker.start()
        target = len(keys) + len(answered) + rng.randint(5, 30)  # a random point of the burst
        deadline = time.monotonic() + 60
        while len(keys) + len(answered) < target and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill9()  # mid-burst: some writes are in flight, all acknowledged ones must be durable
        stop.set()
        for worker in workers:
            worker.join(timeout=20)
    server = Serve(tmp_path, data)
    try:
        assert len(keys) > 10 and answered  # the burst did write
        with httpx.Client(timeout=10) as http:
            for key in keys:
                assert http.get(f"{server.url}/v1/models", headers={"authorization": f"Bearer {key}"}
                                ).status_code == 200, key
        logged = {row["request_id"] for row in _spend_logs(server.url)}
        assert answered <= logged
    finally:
        server.stop()


def test_two_serve_processes_on_one_data_dir_stay_exact(tmp_path: Path) -> None:
    data = tmp_path / "data"
    servers = [Serve(tmp_path, data), Serve(tmp_path, data)]
    try:
        assert all("SQLite at" in s.stderr for s in servers)
        budget = httpx.post(f"{servers[0].url}/key/generate", headers=ADMIN,
                            json={"max_budget": 0.005 * 12.5, "budget_duration": "1d"}).json()["key"]
        rpm = httpx.post(f"{servers[1].url}/key/generate", headers=ADMIN, json={"rpm_limit": 9}).json()["key"]
        if time.time() % 60 > 45:  # keep the rpm burst inside one fixed minute window
            time.sleep(61 - time.time() % 60)
        results: dict[str, list[httpx.Response]] = {budget: [], rpm: []}

        def fire(key: str, url: str) -> None:
            with httpx.Client(timeout=30) as http:
                for _ in range(10):
                    results[key].append(http.post(f"{url}/v1/chat/completions", json=BODY,
                                                  headers={"authorization": f"Bearer {key}"}))

        threads = [threading.Thread(target=fire, args=(key, s.url)) for key in (budget, rpm) for s in servers
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        budget_ok = [r for r in results[budget] if r.status_code == 200]
        assert len(results[budget]) == 40 and len(budget_ok) == 12  # $0.0625 admits exactly 12 calls at $0.005
        assert {r.json()["error"]["type"] for r in results[budget] if r.status_code != 200} == {"budget_exceeded"}
        assert sum(r.status_code == 200 for r in results[rpm]) == 9
        told = sum(float(r.headers["x-tollway-response-cost"]) for key in results for r in results[key]
                   if r.status_code == 200)
        logs = [row for row in _spend_logs(servers[1].url) if row["status"] == "success"]
        assert len(logs) == 21 and sum(row["cost"] for row in logs) == pytest.approx(told)
        odd = {"ü✓": 1, "nested": {" ": {"ü✓": [None, 1e-30, 12345678901234567890]}}, "deep": [[[[[[{"a": []}]]]]]]}
        made = httpx.post(f"{servers[0].url}/key/generate", headers=ADMIN, json={"metadata": odd}).json()
        info = httpx.get(f"{servers[1].url}/key/info", params={"key": made["key"]}, headers=ADMIN)
        assert info.status_code == 200 and info.json()["info"]["metadata"] == odd
        # the old store's poison value: refused with a 400 naming the field (DynamoDB keeps no empty map key),
        # never stored to break later reads
        poison = httpx.post(f"{servers[0].url}/key/generate", headers=ADMIN, json={"metadata": {"": 1}})
        assert poison.status_code == 400 and poison.json()["error"]["param"] == "metadata"
        assert httpx.get(f"{servers[1].url}/key/list", headers=ADMIN).status_code == 200
    finally:
        for server in servers:
            server.stop()


def test_old_snapshot_is_imported_on_first_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    snapshot = {"version": 1, "tables": {"tollway-identity": {"items": [
        {"pk": {"S": "TEAM#old-team"}, "sk": {"S": "TEAM"}, "gsi1pk": {"S": "KIND#team"},
         "gsi1sk": {"S": "2025-01-01T00:00:00Z#old-team"}, "team_id": {"S": "old-team"},
         "created_at": {"S": "2025-01-01T00:00:00Z"}, "version": {"N": "1"}, "metadata": {"M": {"": {"N": "1"}}}}]}}}
    (data / "dynamodb.json").write_text(json.dumps(snapshot))
    server = Serve(tmp_path, data)
    try:
        assert "imported 1 items" in server.stderr
        teams = httpx.get(f"{server.url}/team/list", headers=ADMIN).json()
        assert [t["team_id"] for t in teams] == ["old-team"]
    finally:
        server.stop()
    assert (data / "dynamodb.json.imported").exists() and not (data / "dynamodb.json").exists()
