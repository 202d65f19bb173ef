"""``tollway serve`` as a user runs it: a real process, the example config, the openai SDK."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai

from tests.support.servers import free_port

ROOT = Path(__file__).parents[2]
TOLLWAY = [sys.executable, "-m", "tollway"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    env.pop("TOLLWAY_MASTER_KEY", None)
    return env


def test_serve_answers_with_the_example_config(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([*TOLLWAY, "serve", "--config", str(ROOT / "config.example.yaml"), "--port",
                                str(port), "--data-dir", str(tmp_path / "data")],
                               env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health/readiness").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "tollway serve did not become ready"
            time.sleep(0.2)
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="sk-tollway-local-dev", max_retries=0)
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "This is a mock response from Tollway. You said: hi"
        assert len(client.embeddings.create(model="text-embedding-3-small", input="x").data[0].embedding) == 1536
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert (tmp_path / "data").is_dir()


def test_a_bad_config_stops_startup_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_list:\n  - model_name: x\n    litellm_params: {model: nope/x}\n")
    result = subprocess.run([*TOLLWAY, "serve", "--config", str(bad), "--port", str(free_port())], env=_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown provider 'nope'" in lines[0] and "Traceback" not in result.stderr
