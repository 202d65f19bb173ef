"""API Gateway REST APIs in front of the function.

The main API is REGIONAL with ``AWS_IAM`` as the default method option, so every method,
the root included, requires SigV4; an optional resource policy limits callers to the
``allowed_principals``. The opt-in Bearer API (``-c bearer_routes=true``) exposes only the
inference routes (``/v1/...``, ``/health/...``) with authorization NONE, for tools that can send
just a base URL and a key (Cursor, Claude Code): there the app validates the virtual key.
Admin routes stay IAM-only. Both stream responses when streaming is on.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.settings import Settings

#: the route set the Bearer API exposes (method, path); everything else needs IAM
BEARER_ROUTES: tuple[tuple[str, str], ...] = (("ANY", "v1/{proxy+}"), ("GET", "health/{proxy+}"))


class GatewayApi(Construct):
    """Exposes ``api`` (IAM), ``bearer_api`` (or None), ``integration`` and ``access_logs``."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, function: lambda_.IFunction,
                 access_log_retention: logs.RetentionDays) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.access_logs = self._build_access_logs(access_log_retention)
        self.integration = self._build_integration(function)
        self.api = self._build_iam_api()
        self.bearer_api = self._build_bearer_api() if settings.bearer_routes else None

    def _build_access_logs(self, retention: logs.RetentionDays) -> logs.LogGroup:
        return logs.LogGroup(self, "AccessLogs", retention=retention, removal_policy=RemovalPolicy.DESTROY)

    def _build_integration(self, function: lambda_.IFunction) -> apigw.LambdaIntegration:
        mode = apigw.ResponseTransferMode.STREAM if self.settings.streaming else apigw.ResponseTransferMode.BUFFERED
        return apigw.LambdaIntegration(
            function,
            proxy=True,
            response_transfer_mode=mode,
            timeout=Duration.seconds(self.settings.integration_timeout_seconds),
            # one API-wide invoke permission instead of two per method
            scope_permission_to_method=False,
        )

    def _stage_options(self) -> apigw.StageOptions:
        return apigw.StageOptions(
            stage_name=self.settings.stage,
            access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
            access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                caller=True, http_method=True, ip=True, protocol=True, request_time=True, resource_path=True,
                response_length=True, status=True, user=True),
            throttling_rate_limit=self.settings.throttle_rate,
            throttling_burst_limit=self.settings.throttle_burst,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,  # never log request bodies: they hold prompts and keys
            tracing_enabled=True,
        )

    def _build_iam_api(self) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"tollway-{self.settings.stage}",
            description="Tollway LLM gateway (IAM/SigV4)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
            deploy_options=self._stage_options(),
            # the logging role is account-wide: set it only where the account has none (api_logging_role)
            cloud_watch_role=self.settings.api_logging_role,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN if self.settings.api_logging_role else None,
            policy=self._resource_policy(),
        )
        api.root.add_method("ANY", self.integration)
        api.root.add_proxy(default_integration=self.integration, any_method=True)
        return api

    def _resource_policy(self) -> iam.PolicyDocument | None:
        """Allow the listed principals (cross-account callers need this) and deny everyone else.

        Without the Deny, any same-account principal whose own policy allows execute-api:Invoke
        would still get in: for same-account calls IAM grants if either policy allows.
        """
        principals = list(self.settings.allowed_principals)
        if not principals:
            return None
        return iam.PolicyDocument(statements=[
            iam.PolicyStatement(
                sid="AllowListedPrincipals",
                actions=["execute-api:Invoke"],
                principals=[iam.ArnPrincipal(arn) for arn in principals],
                resources=["execute-api:/*"],
            ),
            iam.PolicyStatement(
                sid="DenyEveryoneElse",
                effect=iam.Effect.DENY,
                actions=["execute-api:Invoke"],
                principals=[iam.AnyPrincipal()],
                resources=["execute-api:/*"],
                conditions={"ArnNotLike": {"aws:PrincipalArn": principals}},
            ),
        ])

    def _build_bearer_api(self) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "BearerApi",
            rest_api_name=f"tollway-{self.settings.stage}-bearer",
            description="Tollway LLM gateway (virtual keys; inference routes only)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.NONE),
            deploy_options=self._stage_options(),
            cloud_watch_role=False,  # the IAM API already configured the account's logging role
        )
        api.node.add_dependency(self.api)
        for method, path in BEARER_ROUTES:
            resource = api.root.resource_for_path(path)
            resource.add_method(method, self.integration)
        return api
