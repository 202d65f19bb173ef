"""A deployment's region (``config.regions``): eu, us or unknown, from its ``litellm_params``."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.config.models import Deployment

CASES: list[tuple[dict[str, Any], str | None]] = [
    # an explicit region_name wins, for any provider
    ({"model": "azure/gpt-4o", "region_name": "eu"}, "eu"),
    ({"model": "azure/gpt-4o", "region_name": "US"}, "us"),
    ({"model": "openai/gpt-4o", "region_name": "eu"}, "eu"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "us-east-1", "region_name": "eu"}, "eu"),
    ({"model": "azure/gpt-4o", "region_name": "eu-west-1"}, "eu"),
    ({"model": "azure/gpt-4o", "region_name": "swedencentral"}, None),
    # Bedrock and SageMaker: the AWS region
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "eu-central-1"}, "eu"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "eu-west-3"}, "eu"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "eu-north-1"}, "eu"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "eu-south-2"}, "eu"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "us-west-2"}, "us"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "us-gov-west-1"}, "us"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "ap-northeast-1"}, None),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "ca-central-1"}, None),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region": "eu-west-1"}, "eu"),
    ({"model": "bedrock/anthropic.claude-3-haiku"}, None),
    ({"model": "bedrock/eu.anthropic.claude-3-haiku", "aws_region_name": "eu-central-1"}, "eu"),
    ({"model": "bedrock/converse/global.anthropic.claude-sonnet-4", "aws_region_name": "eu-central-1"}, None),
    ({"model": "bedrock/global.anthropic.claude-sonnet-4", "aws_region_name": "us-east-1"}, None),
    ({"model": "sagemaker/my-endpoint", "aws_region_name": "eu-west-1"}, "eu"),
    ({"model": "sagemaker_chat/my-endpoint", "aws_region_name": "us-east-2"}, "us"),
    # Vertex AI: its location
    ({"model": "vertex_ai/gemini-2.0-flash", "vertex_location": "europe-west4"}, "eu"),
    ({"model": "vertex_ai/gemini-2.0-flash", "vertex_ai_location": "europe-north1"}, "eu"),
    ({"model": "vertex_ai/gemini-2.0-flash", "vertex_location": "us-central1"}, "us"),
    ({"model": "vertex_ai/gemini-2.0-flash", "vertex_location": "eu"}, "eu"),
    ({"model": "vertex_ai/gemini-2.0-flash", "vertex_location": "global"}, None),
    ({"model": "vertex_ai/gemini-2.0-flash", "vertex_location": "asia-northeast1"}, None),
    ({"model": "vertex_ai/gemini-2.0-flash", "aws_region_name": "europe-west1"}, "eu"),
    ({"model": "vertex_ai/gemini-2.0-flash"}, None),
    # others: only region_name says
    ({"model": "azure/gpt-4o", "api_base": "https://x.openai.azure.com"}, None),
    ({"model": "openai/gpt-4o", "aws_region_name": "eu-west-1"}, None),
    ({"model": "anthropic/claude-sonnet-4"}, None),
    ({"model": "mock/gpt-4o"}, None),
    # references: the environment counts as written, Secrets Manager is not read to route
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "os.environ/REGION_UNDER_TEST"}, "eu"),
    ({"model": "bedrock/anthropic.claude-3-haiku", "aws_region_name": "os.environ/REGION_NOT_SET"}, None),
    ({"model": "azure/gpt-4o", "region_name": "secretsmanager/region"}, None),
]


@pytest.mark.parametrize(("params", "region"), CASES, ids=[str(p) for p, _ in CASES])
def test_region_of_a_deployment(params: dict[str, Any], region: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGION_UNDER_TEST", "eu-west-1")
    monkeypatch.delenv("REGION_NOT_SET", raising=False)
    deployment = Deployment.model_validate({"model_name": "m", "litellm_params": params})
    assert deployment.region == region


def test_a_region_is_computed_once_per_deployment() -> None:
    deployment = Deployment.model_validate(
        {"model_name": "m", "litellm_params": {"model": "bedrock/x", "aws_region_name": "eu-west-1"}})
    assert deployment.region == "eu"
    deployment.litellm_params.aws_region_name = "us-east-1"
    assert deployment.region == "eu" and "region" in deployment.__dict__
    assert "region" not in deployment.model_dump()


def test_a_wildcard_entry_has_no_region_but_its_concrete_models_do() -> None:
    from tollway.routing.groups import concrete

    template = Deployment.model_validate(
        {"model_name": "*", "litellm_params": {"model": "*", "region_name": "eu"}})
    assert template.region is None
    made = concrete(template, "bedrock/x", ("bedrock/x",))
    assert made is not None and made.region == "eu"
