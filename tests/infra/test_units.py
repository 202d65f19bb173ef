"""Pure pieces of the CDK package: settings, Bedrock ARN derivation, secrets, bundlers."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from cdk.bundling import BundlingError, CodeWithConfig, PipLayer, compile_tree, interpreter_for
from cdk.gateway_config import BedrockTarget, bedrock_target, load_gateway_config
from cdk.settings import Settings, SettingsError, from_context
from tests.infra.conftest import CONFIGS


class Ctx:
    def __init__(self, **values: object) -> None:
        self.values = values

    def try_get_context(self, key: str) -> object:
        return self.values.get(key)


def test_settings_defaults_and_string_values() -> None:
    assert from_context(Ctx()) == Settings()
    s = from_context(Ctx(streaming="false", memory="2048", allowed_principals="arn:a, arn:b", kms=True,
                         reserved_concurrency="none", timeout=20, env="REGION=eu-west-1,BASE=http://x/v1"))
    assert (s.streaming, s.memory_mb, s.allowed_principals, s.kms) == (False, 2048, ("arn:a", "arn:b"), True)
    assert s.reserved_concurrency == 0 and s.reserved_executions is None  # explicitly no reservation
    assert (s.timeout_seconds, s.integration_timeout_seconds) == (20, 29)
    assert s.env == (("REGION", "eu-west-1"), ("BASE", "http://x/v1"))
    assert Settings(timeout=900).integration_timeout_seconds == 900


def test_timeouts_follow_the_mode() -> None:
    streamed, buffered = Settings(), Settings(streaming=False)
    # streamed: the integration follows the function (up to 15 min); buffered: API Gateway's 29 s
    assert (streamed.integration_timeout_seconds, streamed.timeout_seconds) == (300, 300)
    assert (buffered.integration_timeout_seconds, buffered.timeout_seconds) == (29, 28)
    assert buffered.integration_timeout_seconds > buffered.timeout_seconds >= buffered.upstream_budget_seconds
    assert buffered.upstream_budget_seconds == 26.0  # 28 s - the 2 s settlement margin
    # the p99 alarm fires at 90 % of what a request may take, so it can fire in both modes
    assert (streamed.p99_threshold_ms, buffered.p99_threshold_ms) == (270_000, 26_100)


def test_reserved_concurrency_from_throttle_and_expected_duration() -> None:
    assert Settings().reserved_executions == 200  # 50 rps x 4 s
    assert from_context(Ctx(throttle_rate="10", expected_request_seconds="20")).reserved_executions == 200
    assert from_context(Ctx(throttle_rate="3", expected_request_seconds="0.5")).reserved_executions == 2
    assert from_context(Ctx(reserved_concurrency="35")).reserved_executions == 35
    assert from_context(Ctx(reserved_concurrency="0")).reserved_executions is None


@pytest.mark.parametrize(("context", "names"), [
    ({"streaming": "false", "timeout": "60"}, ["context 'timeout'", "60 s", "29 s"]),
    ({"streaming": "false", "timeout": "29"}, ["context 'timeout'", "29 s"]),
    ({"timeout": "3", "settlement_margin_ms": "3000"}, ["context 'settlement_margin_ms'", "3000 ms", "3 s"]),
    ({"streaming": "false", "latency_p99_ms": "30000"}, ["context 'latency_p99_ms'", "30000 ms", "29000 ms"]),
    ({"env": "no-equals-sign"}, ["context 'env'"]),
    ({"python": "three"}, ["context 'python'", "'three'"]),
    ({"python": "3.11", "snapstart": "true"}, ["context 'snapstart'", "3.11"]),
])
def test_inconsistent_budgets_are_refused_naming_the_values(context: dict[str, str], names: list[str]) -> None:
    with pytest.raises(SettingsError) as caught:
        from_context(Ctx(**context))
    for name in names:
        assert name in str(caught.value)


@pytest.mark.parametrize(("key", "value"), [("memory", "64"), ("timeout", "901"), ("stage", "a b"),
                                            ("alarm_email", "nobody"), ("bearer_routes", "perhaps")])
def test_settings_reject_bad_values(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"context '{key}'"):
        from_context(Ctx(**{key: value}))


@pytest.mark.parametrize(("model", "region", "expected"), [
    ("anthropic.claude-3-haiku-20240307-v1:0", None, BedrockTarget("anthropic.claude-3-haiku-20240307-v1:0")),
    ("us.meta.llama3-3-70b-instruct-v1:0", "us-east-2",
     BedrockTarget("meta.llama3-3-70b-instruct-v1:0", "us-east-2", profile="us")),
    ("converse/eu.amazon.nova-lite-v1:0", "eu-west-3", BedrockTarget("amazon.nova-lite-v1:0", "eu-west-3", "eu")),
    ("invoke/apac.anthropic.claude-3-5-sonnet-20240620-v1:0", None,
     BedrockTarget("anthropic.claude-3-5-sonnet-20240620-v1:0", profile="apac")),
    ("arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.amazon.nova-pro-v1:0", None,
     BedrockTarget("amazon.nova-pro-v1:0", "us-west-2", profile="us")),
    ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", None,
     BedrockTarget("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", "us-east-1",
                   arn="arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")),
    ("cohere.embed-english-v3", "ca-central-1", BedrockTarget("cohere.embed-english-v3", "ca-central-1")),
])
def test_bedrock_target_parsing(model: str, region: str | None, expected: BedrockTarget) -> None:
    assert bedrock_target(model, region) == expected


def test_profile_prefixes_need_no_region_list() -> None:
    assert bedrock_target("us-gov.anthropic.claude-3-haiku-20240307-v1:0", None).profile == "us-gov"
    assert bedrock_target("global.amazon.nova-2-lite-v1:0", None).profile == "global"
    assert bedrock_target("mistral.mistral-large-2402-v1:0", None).profile is None


def test_config_secret_ids() -> None:
    config = load_gateway_config(CONFIGS / "bedrock.yaml")
    assert config.secret_ids == [
        "tollway/provider-keys", "team-a/anthropic",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/tollway-master-AbCdEf",
    ]
    assert len(config.bedrock_targets) == 7


def test_code_bundler_copies_source_and_config(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("x = 1\n")
    (source / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (source / "pkg.egg-info").mkdir()
    script = source / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    config = tmp_path / "my.yaml"
    config.write_text("model_list: []\n")
    out = tmp_path / "out"
    out.mkdir()
    assert CodeWithConfig(source, config).try_bundle(str(out)) is True
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "config.yaml", "pkg", "pkg/mod.py", "run.sh"]
    assert (out / "config.yaml").read_text() == "model_list: []\n"
    assert os.stat(out / "run.sh").st_mode & stat.S_IXUSR


def test_bundlers_ship_unchecked_hash_bytecode_for_the_target_python(tmp_path: Path) -> None:
    """/opt and /var/task are read-only: without shipped bytecode Lambda compiles on every cold start."""
    source = tmp_path / "src" / "pkg"
    source.mkdir(parents=True)
    (source / "mod.py").write_text("x = 1\n")
    config = tmp_path / "my.yaml"
    config.write_text("model_list: []\n")
    out = tmp_path / "out"
    out.mkdir()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert CodeWithConfig(source.parent, config, version).try_bundle(str(out)) is True
    (pyc,) = (out / "pkg" / "__pycache__").glob("mod.cpython-*.pyc")
    assert pyc.name == f"mod.{sys.implementation.cache_tag}.pyc"
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, source not checked: valid whatever the deployed files' mtimes


def test_compiling_for_a_python_this_machine_lacks_ships_sources(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("x = 1\n")
    assert interpreter_for("3.99") is None
    assert compile_tree(tmp_path, "3.99", "layer") is False
    assert not list(tmp_path.rglob("*.pyc"))


def test_layer_bundler_command_targets_arm64_wheels(tmp_path: Path) -> None:
    command = PipLayer(tmp_path / "requirements.txt", "3.14").command(tmp_path / "out" / "python")
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined and "--only-binary=:all:" in joined
    assert "--python-version 3.14" in joined and f"--target {tmp_path / 'out' / 'python'}" in joined


def test_provider_extras_go_into_the_layer_only_when_used(tmp_path: Path) -> None:
    layers = Path(__file__).resolve().parents[2] / "layers"
    command = " ".join(PipLayer([layers / "requirements.txt", layers / "vertex_ai.txt"], "3.14")
                       .command(tmp_path / "python"))
    assert f"--requirement {layers / 'requirements.txt'} --requirement {layers / 'vertex_ai.txt'}" in command
    vertex = [line.split("==")[0].lower() for line in (layers / "vertex_ai.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert vertex == ["google-auth[urllib3]"]  # its urllib3 transport (token refresh) needs packaging


def test_layer_bundler_reports_pip_failure(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-requirements.txt"  # pip fails before any network access
    with pytest.raises(BundlingError, match="layer: pip install failed"):
        PipLayer(missing, "3.14").try_bundle(str(tmp_path / "out"))


def test_layer_requirements_exclude_boto3_and_moto() -> None:
    lines = [line.split("==")[0].lower() for line in
             (Path(__file__).resolve().parents[2] / "layers" / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert {"fastapi", "mangum", "httpx", "pydantic", "pyyaml", "aws-lambda-powertools", "uvicorn"} <= set(lines)
    assert not {"boto3", "botocore", "moto", "google-auth"} & set(lines)
    # cryptography (~15 MB) only when the admin UI signs in with SSO (layers/ui_sso.txt)
    assert not {"pyjwt", "cryptography"} & set(lines)


def test_region_from_environment_reference_means_stack_region(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("model_list:\n  - model_name: m\n    litellm_params:\n"
                      "      model: bedrock/us.amazon.nova-pro-v1:0\n      aws_region_name: os.environ/AWS_REGION\n")
    assert load_gateway_config(config).bedrock_targets == [BedrockTarget("amazon.nova-pro-v1:0", profile="us")]


def test_runtime_can_be_pinned_to_a_version_this_machine_can_precompile() -> None:
    from cdk.function import python_runtime

    assert python_runtime("3.12").name == "python3.12"
    with pytest.raises(SettingsError, match=r"context 'python': no Lambda runtime python3\.99"):
        python_runtime("3.99")
