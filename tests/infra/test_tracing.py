"""``-c tracing=otel``: the ADOT collector layer, its configuration in the code asset, env, grants, the layer extra."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from cdk import tracing
from cdk.function import LAYER_REQUIREMENTS, SSO_REQUIREMENTS, layer_requirements
from cdk.settings import SettingsError, from_context
from tests.infra.conftest import (
    ADOT_LAYER,
    OTLP_ENDPOINT,
    OTLP_HEADERS_SECRET,
    ROOT,
    Synth,
    as_list,
    render,
    statements,
)
from tests.infra.test_units import Ctx

#: the arm64 collector layer AWS publishes in every commercial region (account 901920570463)
ADOT_ARN = re.compile(r"arn:aws:lambda:\$\{AWS::Region\}:901920570463:layer:aws-otel-collector-arm64-ver-[\d-]+:\d+")


def _function(s: Synth) -> dict[str, Any]:
    (props,) = [v["Properties"] for k, v in s.resources("AWS::Lambda::Function").items() if k.startswith("Gateway")]
    return props


def _code_dir(s: Synth) -> Path:
    return next(d for d in s.asset_dirs() if (d / "tollway").is_dir())


def test_collector_layer_and_environment(logged: Synth, logged_kms: Synth, buffered: Synth) -> None:
    for s, layer in ((logged, None), (logged_kms, ADOT_LAYER)):
        props = _function(s)
        layers = [render(x) for x in props["Layers"]]
        collector = [x for x in layers if "aws-otel-collector" in str(x)]
        assert len(collector) == 1
        if layer is None:
            assert ADOT_ARN.fullmatch(collector[0]), collector
        else:
            assert collector == [layer]
        env = props["Environment"]["Variables"]
        assert env["OPENTELEMETRY_COLLECTOR_CONFIG_URI"] == "/var/task/collector.yaml"
        assert env["OPENTELEMETRY_COLLECTOR_CONFIG_FILE"] == "/var/task/collector.yaml"  # older collector layers
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
        assert int(env["OTEL_BSP_SCHEDULE_DELAY"]) <= 1000
        assert float(env["OTEL_EXPORTER_OTLP_TIMEOUT"]) <= 2  # bounds the per-request export to the collector
        assert props["TracingConfig"] == {"Mode": "Active"}
    # the collector is an extension: the Web Adapter stays the exec wrapper in streaming mode
    assert _function(logged)["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    props = _function(buffered)
    assert not any("aws-otel" in str(render(x)) for x in props["Layers"])
    assert not any(name.startswith(("OTEL_", "OPENTELEMETRY_")) for name in props["Environment"]["Variables"])


def test_collector_config_is_packaged_with_the_code(logged: Synth, logged_kms: Synth, buffered: Synth) -> None:
    both = yaml.safe_load((_code_dir(logged) / "collector.yaml").read_text())
    assert both["receivers"] == {"otlp": {"protocols": {"http": {"endpoint": "127.0.0.1:4318"}}}}
    assert both["exporters"] == {"awsxray": {}, "otlphttp": {
        "endpoint": OTLP_ENDPOINT, "headers": f"${{secretsmanager:{OTLP_HEADERS_SECRET}}}"}}
    assert both["service"] == {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["awsxray", "otlphttp"]}}}
    otlp_only = yaml.safe_load((_code_dir(logged_kms) / "collector.yaml").read_text())
    assert otlp_only["exporters"] == {"otlphttp": {"endpoint": OTLP_ENDPOINT}}
    assert otlp_only["service"]["pipelines"]["traces"]["exporters"] == ["otlphttp"]
    assert not (_code_dir(buffered) / "collector.yaml").exists()


def test_packaged_config_turns_the_otel_callback_on(logged: Synth) -> None:
    """The gateway's own loader reads the packaged config, and tracing comes on from it alone."""
    from tollway.config import load_config
    from tollway.config.unhonoured import callback_names, warning_line
    from tollway.observability import tracing as runtime

    packaged = load_config(_code_dir(logged) / "config.yaml")
    original = load_config(ROOT / "config.example.yaml")
    assert "otel" in callback_names(packaged) and "otel" not in callback_names(original)
    assert warning_line(packaged) == warning_line(original)  # nothing newly ignored
    assert packaged.model_dump(exclude={"litellm_settings"}) == original.model_dump(exclude={"litellm_settings"})
    try:
        runtime.configure(packaged)
        assert runtime.enabled()
    finally:
        runtime.configure(original)
    assert not runtime.enabled()


def test_headers_secret_is_readable_and_xray_writable(logged: Synth, logged_kms: Synth) -> None:
    secret = ("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
              f"{OTLP_HEADERS_SECRET}-??????")
    reads = [s for s in statements(logged) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
    assert any(secret in as_list(s["Resource"]) for s in reads)
    assert not any(OTLP_HEADERS_SECRET in str(s["Resource"]) for s in statements(logged_kms))
    for s in (logged, logged_kms):
        writes = [st for st in statements(s) if "xray:PutTraceSegments" in as_list(st["Action"])]
        assert writes and all(as_list(st["Resource"]) == ["*"] for st in writes)


def test_layer_gets_the_otel_extra_only_with_tracing() -> None:
    extras, files = layer_requirements(frozenset({"openai"}), otel=False)
    assert (extras, files) == ([], [LAYER_REQUIREMENTS])
    extras, files = layer_requirements(frozenset({"openai", "vertex_ai"}), otel=True)
    assert extras == ["vertex_ai", "otel"] and files[-1] == tracing.OTEL_REQUIREMENTS
    extras, files = layer_requirements(frozenset({"openai"}), otel=False, sso=True)
    assert extras == ["ui_sso"] and files == [LAYER_REQUIREMENTS, SSO_REQUIREMENTS]
    pinned = [line.strip() for line in tracing.OTEL_REQUIREMENTS.read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["otel"]
    assert pinned == extra  # the layer installs exactly the [otel] extra


def test_a_prebuilt_layer_without_the_otel_packages_is_refused(tmp_path: Path) -> None:
    from cdk.app import SynthError, build_app
    from tests.infra.conftest import base_context

    (tmp_path / "layer" / "python").mkdir(parents=True)
    context = {**base_context(), "layer_dir": str(tmp_path / "layer"), "tracing": "otel"}
    with pytest.raises(SynthError, match=r"context 'layer_dir': tracing=otel needs the \[otel\] extra"):
        build_app(context, outdir=str(tmp_path / "cdk.out"), nag=False)


@pytest.mark.parametrize(("config", "callbacks"), [
    ("model_list: []\n", ["otel"]),
    ("litellm_settings: {callbacks: langfuse}\n", ["langfuse", "otel"]),
    ("litellm_settings: {callbacks: [otel, langfuse], drop_params: true}\n", ["otel", "langfuse"]),
    ("litellm_settings:\n", ["otel"]),
])
def test_with_otel_callback_adds_it_once(config: str, callbacks: list[str]) -> None:
    assert yaml.safe_load(tracing.with_otel_callback(config))["litellm_settings"]["callbacks"] == callbacks


@pytest.mark.parametrize(("context", "message"), [
    ({"tracing": "jaeger"}, "context 'tracing'"),
    ({"otlp_endpoint": OTLP_ENDPOINT}, "context 'otlp_endpoint': needs tracing=otel"),
    ({"tracing": "otel", "otlp_endpoint": "otlp.example.com"}, "context 'otlp_endpoint': expected an http"),
    ({"tracing": "otel", "otlp_headers_secret": "s"}, "context 'otlp_headers_secret': needs otlp_endpoint"),
    ({"tracing": "otel", "otel_xray": "false"}, "context 'otel_xray'"),
    ({"tracing": "otel", "adot_layer_arn": "aws-otel-collector"}, "context 'adot_layer_arn'"),
])
def test_tracing_settings_are_checked(context: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_context(Ctx(**context))
