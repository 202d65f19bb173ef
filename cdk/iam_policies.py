"""Least-privilege policy statements for the gateway function.

Bedrock: ``InvokeModel`` and ``InvokeModelWithResponseStream`` (IAM has no separate Converse
actions: Converse/ConverseStream are authorised by these two) on exactly the foundation models
and inference profiles the config names. A cross-region profile (``us.``, ``eu.``, ``apac.``...)
is granted on the profile in its source region plus the foundation model in every destination
region it may route to; a ``global.`` profile also needs the region-less foundation-model ARN.
DynamoDB: item and query actions on the tables and their indexes. Secrets Manager: read only
the named secrets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

from cdk.gateway_config import BedrockTarget

BEDROCK_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
DYNAMODB_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)  # transactions are authorised per item by these same actions
SECRET_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")


def bedrock_resource_arns(stack: Stack, targets: Iterable[BedrockTarget]) -> list[str]:
    """Every ARN the Bedrock statement lists, deduplicated, in a stable order."""
    arns: list[str] = []
    for target in targets:
        region = target.region or stack.region
        if target.arn:
            arns.append(target.arn)
        elif target.profile:
            arns.append(f"arn:{stack.partition}:bedrock:{region}:{stack.account}:inference-profile/{target.profile_id}")
            arns.append(_model_arn(stack, region, target.model_id))
            arns += [_model_arn(stack, r, target.model_id) for r in target.destination_regions]
            if target.profile == "global":
                arns.append(_model_arn(stack, "", target.model_id))
        else:
            arns.append(_model_arn(stack, region, target.model_id))
    return list(dict.fromkeys(arns))


def bedrock_statement(stack: Stack, targets: Sequence[BedrockTarget]) -> iam.PolicyStatement | None:
    """None when the config has no Bedrock deployments: then the function gets no Bedrock access."""
    if not targets:
        return None
    return iam.PolicyStatement(
        sid="InvokeConfiguredBedrockModels",
        actions=list(BEDROCK_ACTIONS),
        resources=bedrock_resource_arns(stack, targets),
    )


def dynamodb_statement(tables: Iterable[dynamodb.ITable]) -> iam.PolicyStatement:
    resources: list[str] = []
    for table in tables:
        resources += [table.table_arn, f"{table.table_arn}/index/*"]
    return iam.PolicyStatement(sid="UseTollwayTables", actions=list(DYNAMODB_ACTIONS), resources=resources)


def secrets_statement(secret_arns: Sequence[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid="ReadTollwaySecrets", actions=list(SECRET_ACTIONS), resources=list(secret_arns))


def secret_arn_for(stack: Stack, secret_id: str) -> str:
    """An ARN for a secret named in the config: a name gets Secrets Manager's 6-character suffix wildcard."""
    if secret_id.startswith("arn:"):
        return secret_id
    return f"arn:{stack.partition}:secretsmanager:{stack.region}:{stack.account}:secret:{secret_id}-??????"


def _model_arn(stack: Stack, region: str, model_id: str) -> str:
    return f"arn:{stack.partition}:bedrock:{region}::foundation-model/{model_id}"
