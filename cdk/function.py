"""The gateway Lambda function: arm64, newest Python, code + validated config, a pip-built layer.

Two modes share one app. Streaming (default): the AWS Lambda Web Adapter layer runs
``run.sh`` (uvicorn serving ``tollway.asgi:app``) and relays the response as a stream.
Buffered (``-c streaming=false``): Mangum's ``tollway.handler.handler``.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from aws_cdk import (
    Annotations,
    AssetHashType,
    BundlingOptions,
    DockerImage,
    Duration,
    Fn,
    ILocalBundling,
    RemovalPolicy,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk import tracing
from cdk.bundling import PLATFORMS, CodeWithConfig, PipLayer
from cdk.iam_policies import xray_statement
from cdk.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = ROOT / "lambda"
LAYER_REQUIREMENTS = ROOT / "layers" / "requirements.txt"
#: provider -> the extra layer requirements it needs, installed only when the config uses that provider
PROVIDER_EXTRAS = {"vertex_ai": ROOT / "layers" / "vertex_ai.txt"}
#: the admin UI's SSO (PyJWT + cryptography), installed only when SSO is configured
SSO_REQUIREMENTS = ROOT / "layers" / "ui_sso.txt"
#: AWS Lambda Web Adapter, published by AWS in account 753240598075 in every commercial region
LWA_LAYER_VERSION = 30
LWA_LAYER_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerArm64:%d"
MANGUM_HANDLER = "tollway.handler.handler"
LWA_HANDLER = "run.sh"
LWA_PORT = "8080"
#: a placeholder Docker image: our bundlers always succeed locally, so Docker is never run
_NO_DOCKER = DockerImage.from_registry("tollway/local-bundling-only")


def newest_python_runtime() -> lambda_.Runtime:
    """The highest ``PYTHON_3_N`` runtime this aws-cdk-lib offers."""
    names = [name for name in dir(lambda_.Runtime) if name.startswith("PYTHON_3_")]
    newest = max(names, key=lambda name: int(name.rsplit("_", 1)[1]))
    runtime: lambda_.Runtime = getattr(lambda_.Runtime, newest)
    return runtime


def python_runtime(version: str) -> lambda_.Runtime:
    """The runtime for ``3.13`` (context ``python``), e.g. to match an interpreter that can precompile bytecode."""
    name = f"PYTHON_{version.replace('.', '_')}"
    runtime = getattr(lambda_.Runtime, name, None)
    if not isinstance(runtime, lambda_.Runtime):
        raise SettingsError(f"context 'python': no Lambda runtime python{version} in this aws-cdk-lib")
    return runtime


class GatewayFunction(Construct):
    """Exposes ``function``, ``alias`` (what API Gateway invokes), ``role``, ``log_group``, ``layer``,
    ``runtime`` and ``function_environment`` (the variables the function gets)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, config_path: Path,
                 environment: dict[str, str], providers: frozenset[str] = frozenset(), sso: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.providers = providers
        self.sso = sso
        self.runtime = python_runtime(settings.python) if settings.python else newest_python_runtime()
        self.role = self._build_role()
        self.log_group = self._build_log_group()
        self.layer = self._build_layer()
        self.function_environment: dict[str, str] = {}
        self.function = self._build_function(config_path, environment)
        self.alias = self._build_alias()
        self.trace_policy = self._build_tracing()

    def _build_role(self) -> iam.Role:
        # our own role, so no AWS-managed policy: log writes are granted on this function's group only
        return iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description="Tollway gateway function")

    def _build_log_group(self) -> logs.LogGroup:
        group = logs.LogGroup(self, "Logs", retention=retention_for(self.settings.log_retention_days),
                              removal_policy=RemovalPolicy.DESTROY)
        group.grant_write(self.role)
        return group

    def _build_layer(self) -> lambda_.LayerVersion:
        if self.settings.layer_dir:
            if self.settings.otel and not (Path(self.settings.layer_dir) / "python" / "opentelemetry").is_dir():
                # the packaged config turns tracing on: without the packages every request would fail
                raise SettingsError(
                    f"context 'layer_dir': tracing=otel needs the [otel] extra (layers/otel.txt) in the prebuilt "
                    f"layer, and {self.settings.layer_dir}/python has no opentelemetry package")
            if self.sso and not (Path(self.settings.layer_dir) / "python" / "jwt").is_dir():
                raise SettingsError(
                    f"context 'layer_dir': the admin UI's SSO needs layers/ui_sso.txt (PyJWT, cryptography) in the "
                    f"prebuilt layer, and {self.settings.layer_dir}/python has no jwt package")
            code = lambda_.Code.from_asset(self.settings.layer_dir)
        else:
            extras, requirements = layer_requirements(self.providers, otel=self.settings.otel, sso=self.sso)
            code = lambda_.Code.from_asset(
                str(LAYER_REQUIREMENTS.parent),
                bundling=BundlingOptions(
                    image=_NO_DOCKER, local=_local(PipLayer(requirements, self.python_version)),
                    # not read by the local bundler: part of the asset hash, so a new runtime or a new
                    # provider extra rebuilds the layer
                    environment={"PYTHON_VERSION": self.python_version, "PLATFORMS": ",".join(PLATFORMS),
                                 "EXTRAS": ",".join(extras)},
                ),
            )
        return lambda_.LayerVersion(
            self, "Dependencies", code=code, compatible_runtimes=[self.runtime],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="Tollway runtime dependencies (layers/requirements.txt + provider and otel extras)",
        )

    @property
    def python_version(self) -> str:
        return self.runtime.name.removeprefix("python")

    def _build_code(self, config_path: Path) -> lambda_.Code:
        return lambda_.Code.from_asset(
            str(LAMBDA_DIR),
            # hash what is packaged, so a config change alone redeploys the function
            asset_hash_type=AssetHashType.OUTPUT,
            bundling=BundlingOptions(image=_NO_DOCKER, local=_local(CodeWithConfig(
                LAMBDA_DIR, config_path, self.python_version, files=self._packaged_files(config_path)))),
        )

    def _packaged_files(self, config_path: Path) -> dict[str, str]:
        """With ``tracing=otel``: the config with its otel callback on, and the collector's configuration."""
        if not self.settings.otel:
            return {}
        return {"config.yaml": tracing.with_otel_callback(config_path.read_text()),
                tracing.COLLECTOR_CONFIG: tracing.collector_yaml(self.settings)}

    def _build_function(self, config_path: Path, environment: dict[str, str]) -> lambda_.Function:
        env = {"POWERTOOLS_SERVICE_NAME": "tollway", "POWERTOOLS_METRICS_NAMESPACE": "Tollway",
               "TOLLWAY_STAGE": self.settings.stage,
               # the gateway's own deadline stops upstream calls this long before Lambda's (api/deadline.py)
               "TOLLWAY_SETTLEMENT_MARGIN_MS": str(self.settings.settlement_margin_ms),
               **dict(self.settings.env), **environment}
        if self.settings.snapstart:
            env["TOLLWAY_PRIME"] = "1"  # build the gateway during init, so the snapshot holds it (priming.py)
        layers: list[lambda_.ILayerVersion] = [self.layer]
        handler = MANGUM_HANDLER
        if self.settings.streaming:
            handler = LWA_HANDLER
            layers.append(lambda_.LayerVersion.from_layer_version_arn(
                self, "WebAdapter", Fn.sub(LWA_LAYER_ARN % LWA_LAYER_VERSION)))
            env.update({
                "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
                "AWS_LWA_INVOKE_MODE": "response_stream",
                "AWS_LWA_READINESS_CHECK_PATH": "/health/liveliness",
                "PORT": LWA_PORT,
                # EMF records are print()ed: unbuffered, so each request's metrics reach CloudWatch at once
                "PYTHONUNBUFFERED": "1",
                # IAM callers arrive in the adapter's x-amzn-request-context header (set by the adapter
                # from API Gateway's request context); the app reads it only when told to.
                "TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER": "true",
            })
        if self.settings.otel:
            layers.append(lambda_.LayerVersion.from_layer_version_arn(
                self, "OtelCollector", tracing.layer_arn(self, self.settings)))
            env.update(tracing.environment())
        self.function_environment = env
        return lambda_.Function(
            self,
            "Function",
            description=f"Tollway gateway ({'streaming' if self.settings.streaming else 'buffered'})",
            runtime=self.runtime,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=self._build_code(config_path),
            layers=layers,
            memory_size=self.settings.memory_mb,
            timeout=Duration.seconds(self.settings.timeout_seconds),
            reserved_concurrent_executions=self._reserved_concurrency(),
            role=self.role,
            log_group=self.log_group,
            environment=env,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if self.settings.snapstart else None,
            # each deploy publishes a version for the alias; superseded ones (and their snapshots) go
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
        )

    def _reserved_concurrency(self) -> int | None:
        reserved = self.settings.reserved_executions
        if reserved is None:
            Annotations.of(self).add_warning_v2(
                "tollway:noReservedConcurrency",
                "reserved_concurrency=0: the gateway shares the account's unreserved concurrency; a burst of long "
                "streams can starve every other function in the account (docs/deploy.md, Reserved concurrency)")
        return reserved

    def _build_tracing(self) -> iam.Policy:
        """Active X-Ray tracing, its write grant in a policy of its own (``Tracing.ACTIVE`` would put the
        ``*`` resource X-Ray requires into the role's default policy, where no wildcard is acknowledged)."""
        cfn = cast("lambda_.CfnFunction", self.function.node.default_child)
        cfn.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        policy = iam.Policy(self, "TraceWrites", statements=[xray_statement()], roles=[self.role])
        self.function.node.add_dependency(policy)
        return policy

    def _build_alias(self) -> lambda_.Alias:
        """``live``: the published version API Gateway invokes (SnapStart applies to published versions only)."""
        alias = lambda_.Alias(self, "Live", alias_name="live", version=self.function.current_version)
        if self.settings.snapstart:
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "Every deploy publishes a version (current_version) behind the 'live' alias that API Gateway invokes")
        return alias

    def grant(self, *statements: iam.PolicyStatement | None) -> None:
        for statement in statements:
            if statement is not None:
                self.role.add_to_principal_policy(statement)


def layer_requirements(providers: frozenset[str], *, otel: bool,
                       sso: bool = False) -> tuple[list[str], list[Path]]:
    """(extra names, requirement files) of the dependency layer: the base file, each provider extra the config
    uses, ``layers/otel.txt`` (the ``[otel]`` extra) only with ``tracing=otel`` and ``layers/ui_sso.txt`` only
    when the admin UI signs in with SSO."""
    extras = sorted(name for name in PROVIDER_EXTRAS if name in providers)
    requirements = [LAYER_REQUIREMENTS, *(PROVIDER_EXTRAS[name] for name in extras)]
    if otel:
        extras.append("otel")
        requirements.append(tracing.OTEL_REQUIREMENTS)
    if sso:
        extras.append("ui_sso")
        requirements.append(SSO_REQUIREMENTS)
    return extras, requirements


def _local(bundler: object) -> ILocalBundling:
    """jsii calls ``try_bundle(output_dir, options)`` positionally; the typed stub spells options as kwargs."""
    return cast("ILocalBundling", bundler)


def retention_for(days: int) -> logs.RetentionDays:
    """The smallest CloudWatch retention period that keeps logs at least ``days`` days."""
    for allowed, name in _RETENTION:
        if allowed >= days:
            return getattr(logs.RetentionDays, name)  # type: ignore[no-any-return]
    return logs.RetentionDays.TEN_YEARS


_RETENTION = (
    (1, "ONE_DAY"), (3, "THREE_DAYS"), (5, "FIVE_DAYS"), (7, "ONE_WEEK"), (14, "TWO_WEEKS"), (30, "ONE_MONTH"),
    (60, "TWO_MONTHS"), (90, "THREE_MONTHS"), (120, "FOUR_MONTHS"), (150, "FIVE_MONTHS"), (180, "SIX_MONTHS"),
    (365, "ONE_YEAR"), (400, "THIRTEEN_MONTHS"), (545, "EIGHTEEN_MONTHS"), (731, "TWO_YEARS"),
    (1096, "THREE_YEARS"), (1827, "FIVE_YEARS"), (2192, "SIX_YEARS"), (2557, "SEVEN_YEARS"),
    (2922, "EIGHT_YEARS"), (3288, "NINE_YEARS"), (3653, "TEN_YEARS"),
)
