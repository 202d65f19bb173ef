"""Synth refuses configs that cannot work on Lambda, one line naming each offending entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdk.app import SynthError, build_app
from cdk.lambda_checks import is_secret_field, problems
from tollway.config import load_config

#: skip asset bundling: these synths stop at the config checks
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return str(path)


def _refusal(tmp_path: Path, text: str, **context: str) -> list[str]:
    with pytest.raises(SynthError) as caught:
        build_app({"config": _write(tmp_path, text), **NO_BUNDLING, **context}, outdir=str(tmp_path / "out"),
                  nag=False)
    lines = str(caught.value).splitlines()
    assert all(line.startswith("tollway synth: ") for line in lines)
    return lines


def test_environment_reference_to_a_secret_is_refused(tmp_path: Path) -> None:
    lines = _refusal(tmp_path, """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}
""")
    assert lines == ["tollway synth: model_list[0] (gpt-4o).litellm_params.api_key: os.environ/OPENAI_API_KEY puts a "
                     "secret in a plain environment variable; store it in Secrets Manager and write "
                     "secretsmanager/<secret-name>#OPENAI_API_KEY"]


def test_literal_provider_key_is_refused(tmp_path: Path) -> None:
    lines = _refusal(tmp_path, """
model_list:
  - model_name: ok
    litellm_params: {model: openai/gpt-4o, api_key: secretsmanager/tollway/provider-keys#OPENAI_API_KEY}
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4-20250514, api_key: sk-ant-abc123}
""")
    assert len(lines) == 1
    assert lines[0].startswith("tollway synth: model_list[1] (claude).litellm_params.api_key: a literal secret")
    assert "sk-ant-abc123" not in lines[0]  # never echo the secret itself


def test_plain_environment_reference_needs_the_variable(tmp_path: Path) -> None:
    text = """
model_list:
  - model_name: local
    litellm_params: {model: openai/llama, api_base: os.environ/LLAMA_BASE, api_key: secretsmanager/k#K}
"""
    lines = _refusal(tmp_path, text)
    assert lines == ["tollway synth: model_list[0] (local).litellm_params.api_base: os.environ/LLAMA_BASE is not set "
                     "on the function; pass it with -c env=LLAMA_BASE=<value>"]
    context = {"config": _write(tmp_path, text), **NO_BUNDLING, "env": "LLAMA_BASE=http://10.0.0.5:8000/v1"}
    _app, stack = build_app(context, outdir=str(tmp_path / "out2"), nag=False)
    assert stack.gateway.function_environment["LLAMA_BASE"] == "http://10.0.0.5:8000/v1"


def test_variables_lambda_or_the_config_provides_are_fine(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, """
model_list:
  - model_name: nova
    litellm_params: {model: bedrock/amazon.nova-pro-v1:0, aws_region_name: os.environ/AWS_REGION}
  - model_name: local
    litellm_params: {model: openai/llama, api_base: os.environ/LLAMA_BASE, api_key: secretsmanager/k#K}
environment_variables: {LLAMA_BASE: "http://10.0.0.5:8000/v1"}
general_settings: {master_key: sk-local-only}
"""))
    # master_key is exempt: on Lambda the stack's generated master-key secret replaces it
    assert problems(config, provided_env=(), upstream_budget_seconds=298, timeout_seconds=300,
                    settlement_margin_ms=2000) == []


def test_upstream_timeout_longer_than_the_function_allows_is_refused(tmp_path: Path) -> None:
    lines = _refusal(tmp_path, """
model_list:
  - model_name: slow
    litellm_params: {model: mock/slow, timeout: 120}
router_settings: {timeout: 600}
""", streaming="false")
    assert lines == [
        "tollway synth: router_settings.timeout: upstream timeout 600 s + settlement margin 2000 ms (context "
        "'settlement_margin_ms') exceeds the function timeout 28 s (context 'timeout'); lower it to 26 s or raise "
        "the timeout",
        "tollway synth: model_list[0] (slow).litellm_params.timeout: upstream timeout 120 s + settlement margin "
        "2000 ms (context 'settlement_margin_ms') exceeds the function timeout 28 s (context 'timeout'); lower it "
        "to 26 s or raise the timeout",
    ]


@pytest.mark.parametrize(("name", "secret"), [
    ("api_key", True), ("aws_secret_access_key", True), ("aws_session_token", True), ("vertex_credentials", True),
    ("password", True), ("api_base", False), ("max_tokens", False), ("input_cost_per_token", False),
    ("model", False), ("aws_region_name", False),
])
def test_secret_field_names(name: str, secret: bool) -> None:
    assert is_secret_field(name) is secret
