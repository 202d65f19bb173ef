"""The gateway function: arm64, newest Python, both modes, the packaged config."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from cdk.bundling import interpreter_for
from cdk.function import LWA_LAYER_VERSION, newest_python_runtime
from tests.infra.conftest import CONFIGS, PINNED_PYTHON, ROOT, Synth, render


def _function(s: Synth) -> dict:
    (function,) = s.resources("AWS::Lambda::Function").values()
    return function["Properties"]


def test_newest_python_runtime_is_picked() -> None:
    import aws_cdk.aws_lambda as lambda_

    versions = [int(n.rsplit("_", 1)[1]) for n in dir(lambda_.Runtime) if n.startswith("PYTHON_3_")]
    assert newest_python_runtime().name == f"python3.{max(versions)}"


def test_arm64_newest_runtime_tracing_and_limits(streaming: Synth, buffered: Synth) -> None:
    for s in (streaming, buffered):
        props = _function(s)
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["MemorySize"] == 512  # docs/deploy.md, Memory sizing
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == "tollway"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Tollway"
        assert env["TOLLWAY_SETTLEMENT_MARGIN_MS"] == "2000"
    assert _function(buffered)["Runtime"] == newest_python_runtime().name
    assert _function(streaming)["Runtime"] == f"python{PINNED_PYTHON}"  # -c python=3.12
    assert _function(streaming)["Timeout"] == 300
    assert _function(buffered)["Timeout"] == 28  # below API Gateway's 29 s buffered integration timeout
    assert _function(streaming)["ReservedConcurrentExecutions"] == 20  # given
    assert _function(buffered)["ReservedConcurrentExecutions"] == 200  # derived: 50 rps x 4 s


def test_streaming_mode_runs_the_web_adapter(streaming: Synth) -> None:
    props = _function(streaming)
    assert props["Handler"] == "run.sh"
    env = props["Environment"]["Variables"]
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert env["TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER"] == "true"
    assert env["PORT"] == "8080"
    assert env["PYTHONUNBUFFERED"] == "1"  # EMF lines reach CloudWatch with their request
    layers = [render(layer) for layer in props["Layers"]]
    assert (f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:753240598075:layer:LambdaAdapterLayerArm64:"
            f"{LWA_LAYER_VERSION}") in layers
    assert len(layers) == 2


def test_buffered_mode_runs_mangum(buffered: Synth) -> None:
    props = _function(buffered)
    assert props["Handler"] == "tollway.handler.handler"
    env = props["Environment"]["Variables"]
    assert "AWS_LAMBDA_EXEC_WRAPPER" not in env and "AWS_LWA_INVOKE_MODE" not in env
    assert "TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER" not in env  # Mangum reads the event itself
    assert len(props["Layers"]) == 1 and "Ref" in props["Layers"][0]


def test_dependency_layer_is_arm64_for_the_runtime(buffered: Synth) -> None:
    (layer,) = buffered.resources("AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Properties"]["CompatibleRuntimes"] == [newest_python_runtime().name]


def test_log_group_has_retention(buffered: Synth) -> None:
    props = _function(buffered)
    group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert buffered.template["Resources"][group_id]["Properties"]["RetentionInDays"] == 30


def _code_dir(s: Synth) -> Path:
    return next(d for d in s.asset_dirs() if (d / "tollway").is_dir())


def test_code_asset_is_lambda_dir_plus_validated_config(streaming: Synth, buffered: Synth) -> None:
    code = _code_dir(streaming)
    assert yaml.safe_load((code / "config.yaml").read_text()) == yaml.safe_load(
        (CONFIGS / "bedrock.yaml").read_text())
    assert (code / "tollway" / "handler.py").is_file() and (code / "tollway" / "asgi.py").is_file()
    assert os.access(code / "run.sh", os.X_OK)
    assert not list(code.rglob("*.egg-info"))
    for s, version in ((streaming, PINNED_PYTHON), (buffered, newest_python_runtime().name.removeprefix("python"))):
        pycs = list(_code_dir(s).rglob("*.pyc"))
        # bytecode for the runtime's Python when this machine has that interpreter, else sources only
        assert bool(pycs) == (interpreter_for(version) is not None), version
        assert all(p.name.endswith(f"cpython-{version.replace('.', '')}.pyc") for p in pycs)
    example = _code_dir(buffered) / "config.yaml"
    assert example.read_text() == (ROOT / "config.example.yaml").read_text()


def test_run_sh_execs_uvicorn_on_port() -> None:
    script = (ROOT / "lambda" / "run.sh").read_text()
    assert "exec python -m uvicorn tollway.asgi:app" in script
    assert '"${PORT:-8080}"' in script


def test_asgi_module_exposes_the_shared_app() -> None:
    from tollway import asgi
    from tollway.api.application import TollwayApp

    assert isinstance(asgi.app, TollwayApp)


def test_run_sh_serves_the_app_on_port(tmp_path: Path) -> None:
    """The Web Adapter's view: run.sh starts uvicorn on $PORT and the readiness path answers."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PORT": str(port), "HOME": str(tmp_path),
           "LAMBDA_TASK_ROOT": str(ROOT / "lambda"), "TOLLWAY_CONFIG": str(ROOT / "config.example.yaml"),
           "TOLLWAY_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(["bash", str(ROOT / "lambda" / "run.sh")], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.2)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
