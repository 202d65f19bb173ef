"""Least-privilege policy statements for the gateway function, to the action.

* DynamoDB: per table, exactly the actions the storage repositories call (``TABLE_ACTIONS``, the one
  place to adjust when storage changes); index grants (Query only) only on tables that have indexes.
  ``TransactWriteItems`` has no IAM action of its own: each item is authorised by its Put/Update/
  Delete/ConditionCheck action, which is why those appear per table. No Scan anywhere.
* Bedrock: ``InvokeModel`` and ``InvokeModelWithResponseStream`` (these also authorise Converse/
  ConverseStream) on the foundation models the config names, in each deployment's region. A system
  cross-region profile (``us.``, ``eu.``, ``global.``...) is granted on the profile itself and on the
  foundation model in any region (``bedrock:*::foundation-model/<id>``, plus the region-less ARN that
  ``global.`` uses) only when the call comes through that profile (``bedrock:InferenceProfileArn``),
  as AWS documents, so no destination-region list goes stale. An application inference profile gets
  the foundation model named by ``model_info.base_model`` when given, else any foundation model or
  system profile, again only through that profile.
* SageMaker: ``InvokeEndpoint`` and ``InvokeEndpointWithResponseStream`` on exactly the endpoints the
  config names (``sagemaker/<name>``, ``sagemaker_chat/<name>``), in each deployment's region (the
  stack's when unset or a reference), the name lower-cased as AWS writes endpoint ARNs.
* SNS: ``Publish`` on the configured soft-budget topic only. Secrets Manager: read the named secrets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

from cdk.gateway_config import BedrockTarget
from tollway.config.secrets import is_reference
from tollway.storage.tables import TABLES

if TYPE_CHECKING:
    from tollway.config.models import Deployment

BEDROCK_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
SAGEMAKER_ACTIONS = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
SAGEMAKER_PROVIDERS = frozenset({"sagemaker", "sagemaker_chat"})
#: per logical table (``tollway.storage.tables``), the DynamoDB actions the repositories call
TABLE_ACTIONS: dict[str, tuple[str, ...]] = {
    # keys/teams/users: reads, batch reads, listing through gsi1, transactional Put/Delete with their audit entry
    "identity": ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                 "dynamodb:Query"),
    # budgets, rate-limit windows, reservations: ADD/SET updates (alone or in a transaction) and reads
    "counters": ("dynamodb:GetItem", "dynamodb:UpdateItem"),
    # spend log Put and daily rollup Update (in the settlement transaction), reports by Query
    "spend": ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"),
    # append-only: entries are written (in the mutation's transaction) and read, never changed or removed
    "audit": ("dynamodb:PutItem", "dynamodb:Query"),
    # stored Responses API responses: parts written and deleted in one transaction, read by Query
    "responses": ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"),
}
INDEX_ACTIONS = ("dynamodb:Query",)
SECRET_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


def dynamodb_statements(tables: Mapping[str, dynamodb.ITable]) -> list[iam.PolicyStatement]:
    """One statement per table (its actions differ), plus Query on the indexes of tables that have any."""
    out: list[iam.PolicyStatement] = []
    for spec in TABLES:
        table = tables[spec.name]
        sid = f"Table{spec.name.capitalize()}"
        out.append(iam.PolicyStatement(sid=sid, actions=list(TABLE_ACTIONS[spec.name]),
                                       resources=[table.table_arn]))
        if spec.indexes and "dynamodb:Query" in TABLE_ACTIONS[spec.name]:
            out.append(iam.PolicyStatement(sid=f"{sid}Indexes", actions=list(INDEX_ACTIONS),
                                           resources=[f"{table.table_arn}/index/{i.name}" for i in spec.indexes]))
    return out


def bedrock_statements(stack: Stack, targets: Sequence[BedrockTarget]) -> list[iam.PolicyStatement]:
    """Empty when the config has no Bedrock deployments: then the function gets no Bedrock access."""
    direct = bedrock_resource_arns(stack, targets)
    out = [iam.PolicyStatement(sid="InvokeConfiguredBedrockModels", actions=list(BEDROCK_ACTIONS),
                               resources=direct)] if direct else []
    for i, (profile_arn, resources) in enumerate(_through_profiles(stack, targets).items()):
        out.append(iam.PolicyStatement(
            sid=f"InvokeThroughProfile{i}", actions=list(BEDROCK_ACTIONS), resources=resources,
            conditions={"StringEquals": {"bedrock:InferenceProfileArn": profile_arn}}))
    return out


def bedrock_resource_arns(stack: Stack, targets: Iterable[BedrockTarget]) -> list[str]:
    """ARNs granted without condition: foundation models in their region, and the profiles themselves."""
    arns: list[str] = []
    for target in targets:
        region = target.region or stack.region
        if target.arn:
            arns.append(target.arn)
        elif target.profile:
            arns.append(profile_arn(stack, target))
        else:
            arns.append(model_arn(stack, region, target.model_id))
    return list(dict.fromkeys(arns))


def _through_profiles(stack: Stack, targets: Iterable[BedrockTarget]) -> dict[str, list[str]]:
    """Profile ARN -> what a call through it may reach (granted only with the profile condition)."""
    out: dict[str, list[str]] = {}
    for target in targets:
        if target.profile:
            resources = [model_arn(stack, "*", target.model_id)]
            if target.profile == "global":
                resources.append(model_arn(stack, "", target.model_id))
            out.setdefault(profile_arn(stack, target), []).extend(resources)
        elif target.arn and ":application-inference-profile/" in target.arn:
            if target.base_model:
                resources = [model_arn(stack, "*", target.base_model)]
            else:  # the profile's models are known only to AWS: any model, but only through this profile
                resources = [model_arn(stack, "*", "*"),
                             f"arn:{stack.partition}:bedrock:*:{stack.account}:inference-profile/*"]
            out.setdefault(target.arn, []).extend(resources)
    return {arn: list(dict.fromkeys(resources)) for arn, resources in out.items()}


def profile_arn(stack: Stack, target: BedrockTarget) -> str:
    region = target.region or stack.region
    return f"arn:{stack.partition}:bedrock:{region}:{stack.account}:inference-profile/{target.profile_id}"


def model_arn(stack: Stack, region: str, model_id: str) -> str:
    return f"arn:{stack.partition}:bedrock:{region}::foundation-model/{model_id}"


def sagemaker_statements(stack: Stack, deployments: Iterable[Deployment]) -> list[iam.PolicyStatement]:
    """Empty when the config has no SageMaker deployments: then the function gets no SageMaker access."""
    arns = sagemaker_endpoint_arns(stack, deployments)
    if not arns:
        return []
    return [iam.PolicyStatement(sid="InvokeConfiguredSageMakerEndpoints", actions=list(SAGEMAKER_ACTIONS),
                                resources=arns)]


def sagemaker_endpoint_arns(stack: Stack, deployments: Iterable[Deployment]) -> list[str]:
    """``arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>`` of each configured endpoint."""
    arns = []
    for deployment in deployments:
        if deployment.provider not in SAGEMAKER_PROVIDERS:
            continue
        params = deployment.litellm_params
        region = params.aws_region_name or (params.model_extra or {}).get("aws_region")
        region = stack.region if not region or is_reference(str(region)) else str(region)
        name = deployment.upstream_model.lower()
        arns.append(f"arn:{stack.partition}:sagemaker:{region}:{stack.account}:endpoint/{name}")
    return list(dict.fromkeys(arns))


def sns_statement(topic_arn: str | None) -> iam.PolicyStatement | None:
    """``general_settings.soft_budget_alert_topic_arn``: the function publishes soft-budget alerts there."""
    if not topic_arn:
        return None
    return iam.PolicyStatement(sid="PublishBudgetAlerts", actions=["sns:Publish"], resources=[topic_arn])


def xray_statement() -> iam.PolicyStatement:
    """X-Ray's write actions accept no resource: kept in their own policy so the '*' is acknowledged there only."""
    return iam.PolicyStatement(sid="WriteTraces", actions=list(XRAY_ACTIONS), resources=["*"])


def secrets_statement(secret_arns: Sequence[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid="ReadTollwaySecrets", actions=list(SECRET_ACTIONS), resources=list(secret_arns))


def secret_arn_for(stack: Stack, secret_id: str) -> str:
    """An ARN for a secret named in the config: a name gets Secrets Manager's 6-character suffix wildcard."""
    if secret_id.startswith("arn:"):
        return secret_id
    return f"arn:{stack.partition}:secretsmanager:{stack.region}:{stack.account}:secret:{secret_id}-??????"
