"""``cdk synth`` names every config key the gateway will ignore, in one line (``config.unhonoured``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdk.gateway_config import load_gateway_config


def test_synth_prints_one_line_naming_each_unhonoured_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("model_list:\n  - model_name: m\n    litellm_params: {model: mock/m, organization: org-1}\n"
                    "litellm_settings: {cache: true, success_callback: [langfuse, helicone]}\n")
    load_gateway_config(path)
    lines = [line for line in capsys.readouterr().err.splitlines() if "does not honour" in line]
    assert len(lines) == 1
    for key in ("litellm_settings.cache", "litellm_settings.success_callback: helicone",
                "model_list[m].litellm_params.organization"):
        assert key in lines[0]
    assert "langfuse" not in lines[0]


def test_a_config_without_unhonoured_keys_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("model_list:\n  - model_name: m\n    litellm_params: {model: mock/m}\n")
    load_gateway_config(path)
    assert "does not honour" not in capsys.readouterr().err
