"""The Tollway stack: composes data, secrets, function, API and observability.

Nothing here calls AWS at synth: the region and account stay CloudFormation tokens, so
``cdk synth`` works without credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from cdk import iam_policies, nag, ui
from cdk.api import GatewayApi
from cdk.data import DataTables
from cdk.function import GatewayFunction, retention_for
from cdk.gateway_config import GatewayConfig
from cdk.guardrails import apply_guardrail_statement
from cdk.observability import Observability
from cdk.request_logs import RequestLogs
from cdk.secrets import GatewaySecrets
from cdk.settings import Settings
from cdk.settlement import SettlementQueue

if TYPE_CHECKING:
    from constructs import Construct


class TollwayStack(Stack):
    """Exposes every construct as an attribute (``data``, ``secrets``, ``gateway``, ``api``, ``observability``,
    ``request_logs`` when ``-c request_logs=true``, else None)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, gateway_config: GatewayConfig,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="Tollway: OpenAI-compatible LLM gateway", **kwargs)
        self.settings = settings
        self.gateway_config = gateway_config
        Tags.of(self).add("project", "tollway")
        Tags.of(self).add("stage", settings.stage)
        self.key = self._build_key() if settings.kms else None
        self.data = DataTables(self, "Data", key=self.key)
        self.secrets = GatewaySecrets(self, "Secrets", stage=settings.stage,
                                      provider_keys_name=settings.provider_keys_secret, key=self.key,
                                      provider_keys_existing=settings.provider_keys_existing)
        self.settlement = SettlementQueue(self, "Settlement", key=self.key)
        self.gateway = self._build_function()
        self.api = GatewayApi(self, "Api", settings=settings, function=self.gateway.alias,
                              access_log_retention=retention_for(settings.log_retention_days))
        self.observability = Observability(self, "Observability", settings=settings, api=self.api.api,
                                           function=self.gateway.function, tables=list(self.data.tables.values()),
                                           key=self.key, bearer_api=self.api.bearer_api,
                                           guardrails=bool(gateway_config.config.guardrails))
        self.request_logs = (RequestLogs(self, "RequestLogs", settings=settings, log_group=self.gateway.log_group,
                                         key=self.key) if settings.request_logs else None)
        if self.request_logs is not None:
            self.observability.dashboard.add_widgets(self.request_logs.delivery_widget())
        self.ui = ui.build(self)
        self._build_outputs()
        nag.acknowledge(self)

    def _build_key(self) -> kms.Key:
        key = kms.Key(self, "Key", description="Tollway data, secrets and alarm topic", enable_key_rotation=True,
                      removal_policy=RemovalPolicy.RETAIN)
        # CloudWatch alarms publish to the encrypted topic only if the key lets CloudWatch use it
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsToPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": self.account}},
        ))
        return key

    def _build_function(self) -> GatewayFunction:
        environment = {**self.data.environment(), **self.settlement.environment(),
                       "TOLLWAY_MASTER_KEY_SECRET": self.secrets.master_key.secret_arn}
        ui_settings = ui.UiSettings.from_context(self.node)
        sso = bool(ui_settings.oidc_issuer or ui_settings.cognito
                   or (self.gateway_config.config.general_settings.model_extra or {}).get("ui_oidc"))
        gateway = GatewayFunction(self, "Gateway", settings=self.settings, config_path=self.gateway_config.path,
                                  environment=environment, providers=self.gateway_config.providers, sso=sso)
        provider_keys_arn = (iam_policies.secret_arn_for(self, self.settings.provider_keys_secret)
                             if self.settings.provider_keys_existing else self.secrets.provider_keys.secret_arn)
        secret_arns = [self.secrets.master_key.secret_arn, provider_keys_arn]
        secret_arns += [iam_policies.secret_arn_for(self, secret_id) for secret_id in self.gateway_config.secret_ids
                        if secret_id != self.settings.provider_keys_secret]
        if self.settings.otlp_headers_secret:  # read by the ADOT collector extension, in the function's role
            secret_arns.append(iam_policies.secret_arn_for(self, self.settings.otlp_headers_secret))
        gateway.grant(
            *iam_policies.dynamodb_statements(self.data.tables),
            iam_policies.secrets_statement(list(dict.fromkeys(secret_arns))),
            *iam_policies.bedrock_statements(self, self.gateway_config.bedrock_targets),
            *iam_policies.sagemaker_statements(self, self.gateway_config.config.model_list),
            iam_policies.sns_statement(self.gateway_config.alert_topic_arn),
            self.settlement.statement(),
            apply_guardrail_statement(self, self.gateway_config.config),
        )
        if self.key is not None:
            self.key.grant_encrypt_decrypt(gateway.role)
        return gateway

    def _build_outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.api.url, description="Base URL for IAM (SigV4) callers")
        if self.api.bearer_api is not None:
            CfnOutput(self, "BearerApiUrl", value=self.api.bearer_api.url,
                      description="Base URL for virtual-key (Bearer) clients: append v1")
        CfnOutput(self, "MasterKeySecretArn", value=self.secrets.master_key.secret_arn)
        CfnOutput(self, "ProviderKeysSecretName", value=self.settings.provider_keys_secret)
        CfnOutput(self, "DashboardName", value=self.observability.dashboard.dashboard_name)
        CfnOutput(self, "AlarmTopicArn", value=self.observability.topic.topic_arn)
        if self.request_logs is not None:
            CfnOutput(self, "RequestLogsBucket", value=self.request_logs.bucket.bucket_name)
            CfnOutput(self, "AthenaWorkGroup", value=self.request_logs.workgroup.ref,
                      description=f"Query database {self.request_logs.database_name}, table requests")
