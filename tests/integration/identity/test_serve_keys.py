"""``tollway serve`` with its embedded store: keys made with the CLI work, and survive a restart."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import openai

from tests.integration.test_cli_serve import ROOT, TOLLWAY, _env
from tests.support.servers import free_port

MASTER = "sk-tollway-local-dev"  # config.example.yaml's


def _start(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen([*TOLLWAY, "serve", "--config", str(ROOT / "config.example.yaml"), "--port",
                                str(port), "--data-dir", str(tmp_path / "data")],
                               env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/readiness").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "tollway serve did not become ready"
        time.sleep(0.2)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)


def test_cli_key_against_serve_survives_restart(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**_env(), "TOLLWAY_URL": url, "TOLLWAY_MASTER_KEY": MASTER}
    process = _start(tmp_path, port)
    try:
        made = subprocess.run([*TOLLWAY, "keys", "generate", "--alias", "local", "--models", "gpt-4o-mini", "--json"],
                              env=env, capture_output=True, text=True, check=True)
        key = json.loads(made.stdout)["key"]
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        listing = subprocess.run([*TOLLWAY, "keys", "list"], env=env, capture_output=True, text=True, check=True)
        assert "local" in listing.stdout
    finally:
        _stop(process)
    time.sleep(0.1)
    process = _start(tmp_path, port)
    try:
        openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0).models.list()  # still valid
    finally:
        _stop(process)
