"""Synthesized Tollway stacks, shared by the infra tests (two synths per session).

Synth runs with no AWS credentials, no Docker and no network: the layer comes from a tiny
prebuilt folder (context ``layer_dir``) while the code asset is bundled for real (a local copy
plus the validated config). cdk-nag runs inside each synth, as in ``make synth``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = Path(__file__).resolve().parent / "configs"
ALLOWED_ROLE = "arn:aws:iam::123456789012:role/internal-app"
#: the streaming synth pins its runtime (context ``python``); the buffered one takes the newest
PINNED_PYTHON = "3.12"


@dataclass
class Synth:
    outdir: Path
    stack: Any
    template: dict[str, Any]

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == kind}

    def assertions(self) -> Any:
        from aws_cdk.assertions import Template

        return Template.from_json(self.template)

    def asset_dirs(self) -> list[Path]:
        return sorted(p for p in self.outdir.glob("asset.*") if p.is_dir())


def base_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return dict(context)


def synth(tmp: Path, **overrides: Any) -> Synth:
    from cdk.app import build_app

    layer = tmp / "layer" / "python"
    layer.mkdir(parents=True)
    (layer / "placeholder.py").write_text("# stands in for the pip-built layer\n")
    if overrides.get("tracing") == "otel":  # the real build adds the [otel] extra (layers/otel.txt)
        (layer / "opentelemetry").mkdir()
    if overrides.get("ui_oidc_issuer") or overrides.get("ui_cognito"):  # the real build adds layers/ui_sso.txt
        (layer / "jwt").mkdir()
    context = {**base_context(), "layer_dir": str(layer.parent), **overrides}
    app, stack = build_app(context, outdir=str(tmp / "cdk.out"))
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    return Synth(tmp / "cdk.out", stack, template)


@pytest.fixture(scope="session")
def streaming(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Every option on: streaming, Bedrock + secret references, Bearer routes, KMS, email, principals, SnapStart,
    a pinned Python runtime (request logs and tracing=otel: ``logged`` and ``logged_kms``)."""
    return synth(
        tmp_path_factory.mktemp("streaming"),
        config=str(CONFIGS / "bedrock.yaml"),
        bearer_routes="true",
        kms="true",
        alarm_email="ops@example.com",
        allowed_principals=ALLOWED_ROLE,
        reserved_concurrency="20",
        snapstart="true",
        python=PINNED_PYTHON,
    )


@pytest.fixture(scope="session")
def buffered(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """``-c streaming=false`` with everything else at the cdk.json defaults (the example config)."""
    return synth(tmp_path_factory.mktemp("buffered"), streaming="false")


def render(value: Any) -> Any:
    """Intrinsics as readable strings: ``{"Ref": "AWS::Region"}`` -> ``${AWS::Region}``; Fn::Join joined."""
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"${{{arg}}}"
        if key == "Fn::GetAtt":
            return f"${{{arg[0]}.{arg[1]}}}"
        if key == "Fn::Join":
            return arg[0].join(str(render(part)) for part in arg[1])
        if key == "Fn::Sub":
            return arg if isinstance(arg, str) else arg[0]
    if isinstance(value, list):
        return [render(v) for v in value]
    return value


def statements(synth_: Synth, role_prefix: str = "GatewayRole") -> list[dict[str, Any]]:
    """Every statement of the policies attached to the gateway role, rendered."""
    out: list[dict[str, Any]] = []
    for policy in synth_.resources("AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"].get("Roles", [])]
        if any(r.startswith(role_prefix) for r in roles):
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                out.append({k: render(v) for k, v in statement.items()})
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]



OTLP_ENDPOINT = "https://otlp.example.com"
OTLP_HEADERS_SECRET = "tollway/otlp-headers"
ADOT_LAYER = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-102-1:1"


@pytest.fixture(scope="session")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Request logs to S3/Athena with their defaults, and tracing=otel to X-Ray plus an OTLP endpoint whose
    headers come from a secret (streaming, no KMS)."""
    return synth(tmp_path_factory.mktemp("logged"), request_logs="true", tracing="otel",
                 otlp_endpoint=OTLP_ENDPOINT, otlp_headers_secret=OTLP_HEADERS_SECRET)


@pytest.fixture(scope="session")
def logged_kms(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Request logs under the stack's KMS key with their own lifecycle and scan limit; tracing=otel to the OTLP
    endpoint only, through a pinned collector layer (buffered mode)."""
    return synth(tmp_path_factory.mktemp("logged-kms"), streaming="false", kms="true", request_logs="true",
                 request_logs_glacier_days="30", request_logs_expiry_days="400", athena_scan_limit_gb="2",
                 tracing="otel", otel_xray="false", otlp_endpoint=OTLP_ENDPOINT, adot_layer_arn=ADOT_LAYER)
