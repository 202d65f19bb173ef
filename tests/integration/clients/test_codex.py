"""Codex CLI (``@openai/codex`` from npm, pinned in package.json) in ``codex exec`` mode against
``tollway serve`` with the offline mock: it speaks only the Responses API, streamed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import free_port, wait_ready

ROOT = Path(__file__).parents[3]
CODEX = ROOT / "node_modules" / ".bin" / "codex"

pytestmark = pytest.mark.skipif(not CODEX.exists(), reason="Codex CLI not installed: `make test` runs `npm ci`, "
                                                          "which needs the npm registry")


@pytest.mark.parametrize(("prompt", "answer"), [
    ("say hi", "mock response from Tollway"),
    # the mock calls a tool the prompt names (arguments from its schema); Codex runs it and sends the output back
    ("use exec_command to list the files", "Mock answer using the tool result"),
])
def test_codex_exec_completes_with_no_refused_request(tmp_path: Path, prompt: str, answer: str) -> None:
    port = free_port()
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "model_list": [{"model_name": "gpt-4o-mini", "litellm_params": {"model": "mock/gpt-4o-mini"}}],
        "litellm_settings": {"drop_params": True},
        "general_settings": {"master_key": "sk-codex-test"},
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "OPENAI_"))}
    env["TOLLWAY_LOG_LEVEL"] = "INFO"
    log = tmp_path / "gateway.log"
    with log.open("w") as sink:
        gateway = subprocess.Popen([sys.executable, "-m", "tollway", "serve", "--config", str(config), "--port",
                                    str(port), "--data-dir", str(tmp_path / "data")], env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}", gateway, output=log.read_text)
        home, work = tmp_path / "codex-home", tmp_path / "work"
        home.mkdir()
        work.mkdir()
        (home / "config.toml").write_text(
            'model = "gpt-4o-mini"\nmodel_provider = "tollway"\n'
            "[model_providers.tollway]\n"
            f'name = "Tollway"\nbase_url = "http://127.0.0.1:{port}/v1"\nenv_key = "TOLLWAY_KEY"\n'
            'wire_api = "responses"\n')
        run = subprocess.run(
            [str(CODEX), "exec", "--skip-git-repo-check", "--sandbox", "read-only", prompt], cwd=work,
            env={**env, "CODEX_HOME": str(home), "TOLLWAY_KEY": "sk-codex-test", "PATH": os.environ["PATH"],
                 "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240, check=False)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        assert answer in run.stdout  # the final answer, printed by codex exec
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
        shutil.rmtree(tmp_path / "data", ignore_errors=True)
    requests = [json.loads(line) for line in log.read_text().splitlines()
                if line.startswith("{") and '"message":"request"' in line]
    responses = [r for r in requests if r["path"] == "/v1/responses"]
    assert len(responses) >= (2 if "exec_command" in prompt else 1), "Codex sent too few Responses requests"
    refused = [r for r in requests if r["status"] >= 400]
    assert refused == [], refused
