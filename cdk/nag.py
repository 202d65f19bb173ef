"""cdk-nag (AwsSolutions) acknowledgements, each with the reason it is acceptable.

cdk-nag 3 runs as a policy-validation plugin (``Validations.of(app).add_plugins``); each
finding is acknowledged on the narrowest construct it applies to, one finding id per call,
with a written reason. ``tests/infra`` synthesizes with the checks on and fails on any
finding left unacknowledged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_apigateway as apigw

from cdk.request_logs import DATA_PREFIX, ERROR_PREFIX

if TYPE_CHECKING:
    from constructs import IConstruct

    from cdk.gateway_config import BedrockTarget


class TollwayStack(Protocol):
    """What the acknowledgements need from the stack (a protocol, so this module never imports it)."""

    secrets: Any
    gateway: Any
    api: Any
    settlement: Any
    key: Any
    gateway_config: Any
    settings: Any
    request_logs: Any

PACK = "AwsSolutions::AwsSolutions-"


def ack(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}{rule}", reason=reason))


def acknowledge(stack: TollwayStack) -> None:
    """Acknowledge the findings the design accepts (docs/deploy.md, "Security review")."""
    _secrets(stack)
    _function(stack)
    ack(stack.settlement.queue, "SQS3",
        "The settlement queue is itself the retry store for settlements the gateway could not write in time: "
        "the function re-reads unapplied messages for 14 days (SQS's maximum retention), so a dead-letter queue "
        "would only hide them from it; the SettlementsQueued alarm tells the operator.")
    _api(stack.api.api, bearer=False)
    if stack.api.bearer_api is not None:
        _api(stack.api.bearer_api, bearer=True)
    if stack.request_logs is not None:
        _request_logs(stack.request_logs)


def _request_logs(logs: Any) -> None:
    bucket = Stack.of(logs).resolve(logs.bucket.node.default_child.logical_id)
    for prefix in (DATA_PREFIX, ERROR_PREFIX):
        ack(logs.firehose_policy, f"IAM5[Resource::<{bucket}.Arn>/{prefix}*]",
            f"Firehose names each object it delivers (time-based key under {prefix}); the grant is limited to "
            "that prefix of the request-log bucket, with PutObject/GetObject/AbortMultipartUpload only.")


def _secrets(stack: TollwayStack) -> None:
    ack(stack.secrets.master_key, "SMG4",
        "The master key is an admin credential held by people and CI, not a database password: "
        "there is no rotation target; operators rotate it with put-secret-value (docs/deploy.md).")
    ack(stack.secrets.provider_keys, "SMG4",
        "Provider API keys are issued by third parties (OpenAI, Anthropic...); Secrets Manager "
        "cannot rotate them. Operators replace them in place; the function re-reads within 5 minutes.")


def _function(stack: TollwayStack) -> None:
    role = stack.gateway.role
    ack(stack.gateway.trace_policy, "IAM5[Resource::*]",
        "This policy holds only xray:PutTraceSegments/PutTelemetryRecords: X-Ray does not support "
        "resource-level permissions for them. No other policy of the role may use '*'.")
    for resource in profile_wildcards(stack.gateway_config.bedrock_targets):
        ack(role, f"IAM5[Resource::{resource}]",
            "Reached only through the configured inference profile (condition bedrock:InferenceProfileArn), "
            "as AWS documents for cross-region and application inference profiles: the profile decides the "
            "destination region (or model), and AWS changes that list over time.")
    if stack.settings.python:
        ack(stack.gateway.function, "L1",
            f"The operator pinned the runtime with -c python={stack.settings.python} (docs/deploy.md, Layer): "
            "the build machine has that interpreter, so the assets ship precompiled bytecode. Unset it to follow "
            "the newest Python runtime.")
    if stack.key is not None:
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            ack(role, f"IAM5[Action::{action}]",
                "CDK's encrypt/decrypt grant on the stack's own customer-managed key only (tables, secrets).")


def _api(api: apigw.RestApi, *, bearer: bool) -> None:
    ack(api, "APIG2",
        "Lambda proxy for an OpenAI-compatible API: the app validates every body against its "
        "pydantic models and answers OpenAI-shaped 400s, which API Gateway request validation cannot produce.")
    ack(api.deployment_stage, "APIG3",
        "No WAF by default: a web ACL costs a flat monthly fee (Tollway must cost nothing at idle). "
        "Callers are authenticated (SigV4 or virtual keys) and stage throttling limits abuse; attach a "
        "WAF web ACL to the stage if your policy requires one.")
    for method in api.methods:
        ack(method, "COG4",
            "Callers are AWS principals signing with SigV4 (AWS_IAM) or tools holding a Tollway virtual key; "
            "there are no end users in a Cognito user pool.")
        if bearer:
            ack(method, "APIG4",
                "Opt-in route set for Bearer-key clients (Cursor, Claude Code): the app authenticates the "
                "virtual key (hashed lookup, budgets, model allowlists) on every request. Admin routes are not "
                "on this API.")
    if not bearer:
        role = api.node.try_find_child("CloudWatchRole")
        if role is not None:
            ack(role, "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                      "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-level logging role needs this AWS-managed policy to write the access "
                "and error logs this stack configures; it is assumable only by apigateway.amazonaws.com.")


def profile_wildcards(targets: list[BedrockTarget]) -> list[str]:
    """The wildcard ARNs (in cdk-nag's rendering) that ``iam_policies`` grants under a profile condition."""
    model = "arn:<AWS::Partition>:bedrock:*::foundation-model/"
    out: list[str] = []
    for target in targets:
        if target.profile:
            out.append(model + target.model_id)
        elif target.arn and ":application-inference-profile/" in target.arn:
            out += ([model + target.base_model] if target.base_model else
                    [model + "*", "arn:<AWS::Partition>:bedrock:*:<AWS::AccountId>:inference-profile/*"])
    return list(dict.fromkeys(out))
