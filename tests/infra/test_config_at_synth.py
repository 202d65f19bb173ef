"""The gateway config is validated at synth with the gateway's own loader."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cdk.app import SynthError, build_app
from tests.infra.conftest import CONFIGS, ROOT
from tollway.config import load_config
from tollway.errors import ConfigError


def _loader_message(path: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_bad_config_fails_build_with_the_loaders_message(tmp_path) -> None:
    bad = str(CONFIGS / "bad.yaml")
    with pytest.raises(SynthError) as caught:
        build_app({"config": bad}, outdir=str(tmp_path), nag=False)
    message = str(caught.value)
    assert message == f"tollway synth: {_loader_message(bad)}"
    assert "unknown provider 'notaprovider'" in message and "\n" not in message


def test_app_py_exits_with_one_line_on_a_bad_config(tmp_path) -> None:
    """What `cdk synth -c config=...` runs: app.py with the context in CDK_CONTEXT_JSON."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"config": str(CONFIGS / "bad.yaml")}),
           "CDK_OUTDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == f"tollway synth: {_loader_message(str(CONFIGS / 'bad.yaml'))}"
    assert "Traceback" not in result.stderr


def test_missing_config_and_bad_context_fail_clearly(tmp_path) -> None:
    with pytest.raises(SynthError, match="cannot read config"):
        build_app({"config": str(tmp_path / "nope.yaml")}, outdir=str(tmp_path), nag=False)
    with pytest.raises(SynthError, match="context 'memory'"):
        build_app({"memory": "lots"}, outdir=str(tmp_path), nag=False)
    with pytest.raises(SynthError, match="context 'streaming'"):
        build_app({"streaming": "maybe"}, outdir=str(tmp_path), nag=False)
