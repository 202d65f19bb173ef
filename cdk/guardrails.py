"""IAM for guardrails: ``bedrock:ApplyGuardrail`` on exactly the Bedrock guardrails the config names.

A ``guardrailIdentifier`` given as an ARN is used as is; a bare id becomes the guardrail's ARN in its
``aws_region_name`` (or the stack's region) and the stack's account. No Bedrock guardrail configured: no
statement, so the function gets no such permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

if TYPE_CHECKING:
    from tollway.config.models import Config

APPLY_GUARDRAIL = "bedrock:ApplyGuardrail"


def guardrail_arns(stack: Stack, config: Config) -> list[str]:
    """The ARN of every ``guardrail: bedrock`` entry, in config order, without duplicates."""
    arns: list[str] = []
    for entry in config.guardrails:
        params = entry.litellm_params
        if params.guardrail != "bedrock":
            continue
        identifier = str(params.extra["guardrailIdentifier"])
        region = params.extra.get("aws_region_name")
        if identifier.startswith("arn:"):
            arns.append(identifier)
        else:
            region = region if isinstance(region, str) and not region.startswith("os.environ/") else stack.region
            arns.append(stack.format_arn(service="bedrock", region=region, resource="guardrail",
                                         resource_name=identifier))
    return list(dict.fromkeys(arns))


def apply_guardrail_statement(stack: Stack, config: Config) -> iam.PolicyStatement | None:
    arns = guardrail_arns(stack, config)
    if not arns:
        return None
    return iam.PolicyStatement(sid="ApplyConfiguredGuardrails", actions=[APPLY_GUARDRAIL], resources=arns)
