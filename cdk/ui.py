"""The admin UI on AWS (``-c ui=true``): ``/ui`` from the gateway function on its own REST API.

The UI API exposes only ``GET /ui`` and ``GET|POST /ui/{proxy+}`` with authorization NONE: the app's
signed session cookie does the auth and the admin routes stay on the IAM API. Its binary media type is
``*/*`` so the gzip-compressed assets pass through API Gateway unchanged.

SSO (optional): ``-c ui_oidc_issuer=... -c ui_oidc_client_id=...`` for any OIDC issuer, or
``-c ui_cognito=true`` for a Cognito user pool made here (groups ``tollway-admins`` and
``tollway-viewers``). Either way the function reads a JSON secret ``tollway/<stage>/ui-oidc``
(``TOLLWAY_UI_OIDC_SECRET``) with the issuer, client id and redirect URI; an external issuer's client
secret goes in ``tollway/<stage>/ui-oidc-client-secret``. The function knows both by name only, so it
does not depend on the API or the pool and nothing here forms a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import ArnFormat, CfnOutput, Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from cdk.nag import ack
from cdk.settings import SettingsError

if TYPE_CHECKING:
    from cdk.stack import TollwayStack

#: Cognito groups the stack creates and the roles they map to
COGNITO_GROUPS = {"tollway-admins": "proxy_admin", "tollway-viewers": "proxy_admin_viewer"}


@dataclass(frozen=True)
class UiSettings:
    enabled: bool = False
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    cognito: bool = False

    @classmethod
    def from_context(cls, node: Any) -> UiSettings:
        def flag(key: str) -> bool:
            value = node.try_get_context(key)
            if value in (None, False, "false", "False", "0", ""):
                return False
            if value in (True, "true", "True", "1"):
                return True
            raise SettingsError(f"context '{key}': expected true or false (got {value!r})")

        issuer, client_id = node.try_get_context("ui_oidc_issuer"), node.try_get_context("ui_oidc_client_id")
        settings = cls(enabled=flag("ui"), oidc_issuer=issuer or None, oidc_client_id=client_id or None,
                       cognito=flag("ui_cognito"))
        if bool(settings.oidc_issuer) != bool(settings.oidc_client_id):
            raise SettingsError("context 'ui_oidc_issuer' and 'ui_oidc_client_id' go together")
        if settings.oidc_issuer and not settings.oidc_issuer.startswith("https://"):
            raise SettingsError(f"context 'ui_oidc_issuer': expected an https:// URL (got {settings.oidc_issuer!r})")
        if settings.cognito and settings.oidc_issuer:
            raise SettingsError("context 'ui_cognito' and 'ui_oidc_issuer' are alternatives: pick one")
        if (settings.cognito or settings.oidc_issuer) and not settings.enabled:
            raise SettingsError("context 'ui_oidc_*' and 'ui_cognito' need 'ui=true'")
        return settings


class AdminUi(Construct):
    """Exposes ``api``, ``oidc_secret`` / ``client_secret`` (or None), ``user_pool`` / ``client`` (or None)."""

    def __init__(self, scope: Construct, construct_id: str, *, stack: TollwayStack, settings: UiSettings) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.stage = stack.settings.stage
        self.api = self._build_api(stack)
        self.user_pool: cognito.UserPool | None = None
        self.client: cognito.UserPoolClient | None = None
        self.oidc_secret: sm.Secret | None = None
        self.client_secret: sm.Secret | None = None
        if settings.cognito:
            self.user_pool, self.client = self._build_cognito()
        if settings.cognito or settings.oidc_issuer:
            self._build_oidc_secrets(stack)
        CfnOutput(self, "UiUrl", value=f"{self.api.url}ui/", description="The admin UI (sign in with a key or SSO)")
        self._acknowledge(stack)

    @property
    def callback_url(self) -> str:
        return f"{self.api.url}ui/sso/callback"

    def _build_api(self, stack: TollwayStack) -> apigw.RestApi:
        api = apigw.RestApi(
            self, "Api", rest_api_name=f"tollway-{self.stage}-ui", description="Tollway admin UI (/ui only)",
            endpoint_types=[apigw.EndpointType.REGIONAL], binary_media_types=["*/*"],
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.NONE),
            deploy_options=stack.api._stage_options(), cloud_watch_role=False)
        api.node.add_dependency(stack.api.api)  # the IAM API sets up the account's logging role
        root = api.root.add_resource("ui")
        root.add_method("GET", stack.api.integration)
        proxy = root.add_resource("{proxy+}")
        for method in ("GET", "POST"):
            proxy.add_method(method, stack.api.integration)
        return api

    def _build_cognito(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self, "Users", self_sign_up_enabled=False, sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True), mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(min_length=12, require_digits=True, require_lowercase=True,
                                                   require_uppercase=True, require_symbols=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY, removal_policy=RemovalPolicy.RETAIN,
            feature_plan=cognito.FeaturePlan.ESSENTIALS)
        for name, role in COGNITO_GROUPS.items():
            cognito.CfnUserPoolGroup(self, f"Group{role}", user_pool_id=pool.user_pool_id, group_name=name,
                                     description=f"Tollway admin UI: {role}")
        pool.add_domain("Domain", cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=f"tollway-{self.stage}-{Stack.of(self).account}"))
        client = pool.add_client(
            "UiClient", generate_secret=False,  # a public client: authorization code + PKCE
            o_auth=cognito.OAuthSettings(flows=cognito.OAuthFlows(authorization_code_grant=True),
                                         scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL,
                                                 cognito.OAuthScope.PROFILE],
                                         callback_urls=[self.callback_url]),
            id_token_validity=Duration.hours(1), prevent_user_existence_errors=True)
        return pool, client

    def _build_oidc_secrets(self, stack: TollwayStack) -> None:
        name = f"tollway/{self.stage}/ui-oidc"
        document: dict[str, Any] = {"redirect_uri": self.callback_url}
        if self.user_pool is not None and self.client is not None:
            document.update(issuer=f"https://cognito-idp.{Stack.of(self).region}.amazonaws.com/"
                                   f"{self.user_pool.user_pool_id}",
                            client_id=self.client.user_pool_client_id, groups_claim="cognito:groups",
                            role_mappings=COGNITO_GROUPS)
        else:
            self.client_secret = sm.Secret(
                self, "ClientSecret", secret_name=f"{name}-client-secret", encryption_key=stack.key,
                description="The admin UI's OIDC client secret: replace the placeholder with your issuer's value",
                removal_policy=RemovalPolicy.RETAIN)
            document.update(issuer=self.settings.oidc_issuer, client_id=self.settings.oidc_client_id,
                            client_secret=f"secretsmanager/{name}-client-secret")
        # issuer, client id and redirect URI are public values, not secrets: the secret only carries them
        self.oidc_secret = sm.Secret(
            self, "OidcSettings", secret_name=name, encryption_key=stack.key,
            description="The admin UI's OIDC settings (general_settings.ui_oidc fields)",
            secret_string_value=SecretValue.unsafe_plain_text(Stack.of(self).to_json_string(document)),
            removal_policy=RemovalPolicy.DESTROY)
        stack.gateway.function.add_environment("TOLLWAY_UI_OIDC_SECRET", name)
        stack.gateway.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["secretsmanager:GetSecretValue"],
            resources=[Stack.of(self).format_arn(service="secretsmanager", resource="secret",
                                                 resource_name=f"{name}*",
                                                 arn_format=ArnFormat.COLON_RESOURCE_NAME)]))

    def _acknowledge(self, stack: TollwayStack) -> None:
        ack(self.api, "APIG2", "Lambda proxy: the app validates every body and answers OpenAI-shaped 400s.")
        ack(self.api.deployment_stage, "APIG3",
            "No WAF by default (a web ACL has a flat monthly fee and Tollway costs nothing at idle); the UI "
            "answers only /ui, sessions are signed and stage throttling applies. Attach a web ACL if required.")
        for method in self.api.methods:
            ack(method, "APIG4", "The admin UI authenticates with its own signed, expiring session cookie "
                                 "(sign-in with a key or OIDC SSO); only /ui paths exist on this API and every "
                                 "admin call is re-authorized by the app's RBAC.")
            ack(method, "COG4", "Sign-in happens in the app (keys or any OIDC issuer, Cognito optional); an "
                                "API Gateway Cognito authorizer would lock out key sign-in and other issuers.")
        for secret in (self.oidc_secret, self.client_secret):
            if secret is not None:
                ack(secret, "SMG4", "An OIDC client's settings and secret are issued by the identity provider; "
                                    "Secrets Manager cannot rotate them. Operators replace them in place.")
        if self.user_pool is not None:
            for rule in ("COG3", "COG8"):
                ack(self.user_pool, rule, "Threat protection needs Cognito's paid Plus plan, and Tollway costs "
                                          "nothing at idle: MFA is required, self sign-up is off and passwords "
                                          "are long. Move the pool to Plus if your policy asks for it.")
        if self.oidc_secret is None:
            return
        ack(stack.gateway.role, "IAM5[Resource::arn:<AWS::Partition>"
            f":secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:tollway/{self.stage}/ui-oidc*]",
            "The UI's two OIDC secrets by name prefix (tollway/<stage>/ui-oidc and -client-secret): Secrets "
            "Manager appends a random suffix to secret ARNs, and naming them avoids a dependency cycle.")


def build(stack: TollwayStack) -> AdminUi | None:
    """The admin UI's AWS part when ``-c ui=true``, else None."""
    settings = UiSettings.from_context(stack.node)
    return AdminUi(stack, "Ui", stack=stack, settings=settings) if settings.enabled else None
