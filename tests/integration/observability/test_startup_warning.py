"""The unhonoured-keys line where a gateway starts: ``tollway serve`` and the Lambda's first build
(CDK synth: ``tests/infra/test_config_unhonoured.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port

TOLLWAY = [sys.executable, "-m", "tollway"]
CONFIG = """
model_list:
  - model_name: m
    litellm_params: {model: mock/m, tags: [a], extra_headers: {x-trace: "1"}}
litellm_settings: {cache: true, callbacks: ["otel", "datadog"]}
general_settings: {alerting: ["slack"]}
"""
EXPECTED = ("litellm_settings.cache", "litellm_settings.callbacks: datadog", "general_settings.alerting",
            "model_list[m].litellm_params.extra_headers")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "TOLLWAY_MASTER_KEY", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        env.pop(name, None)
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"  # tracing is on in CONFIG; nothing listens
    return env


@pytest.fixture
def config_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    yield path


def test_serve_prints_one_line_naming_each_unhonoured_key(config_file: Path, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([*TOLLWAY, "serve", "--config", str(config_file), "--port", str(port),
                                "--data-dir", str(tmp_path / "data")],
                               env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/readiness").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "tollway serve did not become ready"
            time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    warnings = [line for line in stderr.splitlines() if "does not honour" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("tollway: warning: config keys Tollway does not honour")
    for key in EXPECTED:
        assert key in warnings[0]
    assert "litellm_settings.callbacks: otel" not in warnings[0]
    assert "litellm_params.tags" not in warnings[0]  # honoured: tag filtering reads it


def test_strict_config_stops_serve_with_one_line(config_file: Path) -> None:
    config_file.write_text(CONFIG.replace('general_settings: {alerting: ["slack"]}',
                                          'general_settings: {alerting: ["slack"], strict_config: true}'))
    result = subprocess.run([*TOLLWAY, "serve", "--config", str(config_file), "--port", str(free_port())],
                            env=_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown integration litellm_settings.callbacks: datadog" in lines[0]
    assert "Traceback" not in result.stderr


def test_the_lambda_logs_the_line_at_its_first_gateway_build(config_file: Path) -> None:
    probe = ("from tollway.gateway import default_gateway\n"
             "default_gateway()\ndefault_gateway()\n")
    env = {**_env(), "TOLLWAY_CONFIG": str(config_file), "AWS_LAMBDA_FUNCTION_NAME": "tollway-test"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60,
                            check=True)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    warnings = [r for r in records if "does not honour" in str(r.get("message"))]
    assert len(warnings) == 1 and warnings[0]["level"] == "WARNING"
    for key in EXPECTED:
        assert key in warnings[0]["message"]

