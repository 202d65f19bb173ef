"""Claude Code itself (``claude -p``, from npm) through ``tollway serve``: a Read tool round trip, no refused request.

``make test`` installs the pinned CLI (``npm ci``, package.json); these tests skip, saying so, only when it is
not installed (npm unreachable). Claude Code is kept off the internet: telemetry, auto-updates and
nonessential traffic are off and every model it may pick is a configured one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import MASTER_KEY
from tests.support.servers import free_port

ROOT = Path(__file__).parents[3]
BIN = ROOT / "node_modules" / ".bin"
#: (label, executable): the pinned latest and the version the issue was reported against
VERSIONS = [("latest", BIN / "claude"),
            ("2.1.197", ROOT / "node_modules" / "claude-code-2-1-197" / "bin" / "claude.exe")]
SECRET = "the vault code is 4217"


class Served:
    def __init__(self, process: subprocess.Popen[str], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def requests(self) -> list[dict[str, Any]]:
        """The gateway's request log lines (one JSON object per request)."""
        lines = []
        for line in self.log.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("message") == "request":
                lines.append(entry)
        return lines


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(model_list: list[dict[str, Any]], **sections: Any) -> Served:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({"model_list": model_list, "general_settings": {"master_key": MASTER_KEY},
                                          **sections}))
        port = free_port()
        log = tmp_path / "gateway.log"
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL_DYNAMODB", "TOLLWAY_MASTER_KEY")}
        env.update(PYTHONUNBUFFERED="1", TOLLWAY_LOG_LEVEL="INFO")  # each request's log line, as it happens
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tollway", "serve", "--config", str(config), "--port", str(port),
                 "--data-dir", str(tmp_path / "data")], env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health/readiness").status_code == 200:
                    return Served(process, url, log)
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "tollway serve did not become ready"
            time.sleep(0.2)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def claude(executable: Path, served: Served, workdir: Path, prompt: str,
           model: str) -> subprocess.CompletedProcess[str]:
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "dumb",
        "ANTHROPIC_BASE_URL": served.url, "ANTHROPIC_AUTH_TOKEN": MASTER_KEY,
        "ANTHROPIC_MODEL": model, "ANTHROPIC_DEFAULT_HAIKU_MODEL": model, "ANTHROPIC_SMALL_FAST_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model, "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_BUG_COMMAND": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_NON_ESSENTIAL_MODEL_CALLS": "1", "CLAUDE_CODE_DISABLE_TERMINAL_TITLE": "1",
        "CLAUDE_CODE_SKIP_AUTO_INSTALL": "1",
    }
    return subprocess.run(
        [str(executable), "-p", prompt, "--model", model, "--allowedTools", "Read", "--output-format", "json",
         "--max-turns", "4"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL, check=False)


def _installed(executable: Path) -> None:
    if not executable.exists():
        reason = "Claude Code is not installed (make test runs `npm ci`; npm was unreachable)"
        if shutil.which("npm") is None:
            reason = "Claude Code is not installed: npm is not on PATH"
        pytest.skip(reason)


#: a model name Claude Code knows (extended thinking, signed blocks replayed) and a gateway alias it does not
#: (adaptive thinking, ``system`` turns inside ``messages``: the shape that used to be refused)
MODELS = ["claude-sonnet-4-5", "claude"]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("label", "executable"), VERSIONS, ids=[v[0] for v in VERSIONS])
def test_claude_code_reads_a_file_through_the_anthropic_passthrough(  # type: ignore[no-untyped-def]
        serve, claude_upstream, tmp_path: Path, label: str, executable: Path, model: str) -> None:
    _installed(executable)
    (tmp_path / "notes.txt").write_text(SECRET + "\n")
    served = serve([{"model_name": model, "litellm_params": {
        "model": "anthropic/claude-sonnet-4-5", "api_base": claude_upstream.url, "api_key": "sk-ant-up"}}])
    prompt = f"please read {tmp_path / 'notes.txt'} and tell me what it says"
    done = claude(executable, served, tmp_path, prompt, model)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    result = json.loads(done.stdout)
    assert SECRET in result["result"] and not result.get("is_error")
    reads = [r for r in claude_upstream.requests
             if any(isinstance(m["content"], list) and any(b.get("type") == "tool_result" for b in m["content"])
                    for m in r["messages"])]
    assert reads, "Claude Code never sent the Read tool's result back"
    logged = [r for r in served.requests() if r.get("path", "").startswith("/v1/messages")]
    assert logged and [r for r in logged if r["status"] >= 400] == []
    assert all(r["status"] == 200 for r in served.requests())


def test_claude_code_reads_a_file_through_the_mock_model(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Claude Code against the offline mock (translated path): the mock calls ``Read`` because the prompt names
    it, with the path from the prompt, then answers from the tool result (docs/configuration.md, the mock's rules)."""
    executable = VERSIONS[0][1]
    _installed(executable)
    (tmp_path / "notes.txt").write_text(SECRET + "\n")
    # Claude Code sends Anthropic-only fields (context_management, ...): a non-Anthropic target needs drop_params
    served = serve([{"model_name": "claude-sonnet-4-5", "litellm_params": {"model": "mock/claude-sonnet-4-5"}}],
                   litellm_settings={"drop_params": True})
    prompt = f"Use the Read tool to read {tmp_path / 'notes.txt'}"
    done = claude(executable, served, tmp_path, prompt, "claude-sonnet-4-5")
    assert done.returncode == 0, json.loads(done.stdout).get("result")
    result = json.loads(done.stdout)
    assert SECRET in result["result"] and not result.get("is_error")
    logged = [r for r in served.requests() if r.get("path", "").startswith("/v1/messages")]
    assert len(logged) >= 2 and [r for r in logged if r["status"] >= 400] == []
