"""Least privilege: Bedrock, DynamoDB and Secrets Manager scoped from the config and the stack."""

from __future__ import annotations

from tests.infra.conftest import Synth, as_list, statements

P, R, A = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"
SONNET = "anthropic.claude-sonnet-4-20250514-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def _by_sid(s: Synth) -> dict[str, dict]:
    return {st.get("Sid", ""): st for st in statements(s)}


def _model(region: str, model: str) -> str:
    return f"arn:{P}:bedrock:{region}::foundation-model/{model}"


def test_bedrock_scoped_to_configured_models_and_profiles(streaming: Synth) -> None:
    bedrock = _by_sid(streaming)["InvokeConfiguredBedrockModels"]
    assert sorted(as_list(bedrock["Action"])) == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    expected = {
        # us. cross-region profile from us-east-1: the profile plus every US destination region's model
        f"arn:{P}:bedrock:us-east-1:{A}:inference-profile/us.{SONNET}",
        *(_model(r, SONNET) for r in ("us-east-1", "us-east-2", "us-west-1", "us-west-2")),
        # global profile from us-west-2: the profile, the source model and the region-less model ARN
        f"arn:{P}:bedrock:us-west-2:{A}:inference-profile/global.{SONNET_45}",
        _model("us-west-2", SONNET_45),
        f"arn:{P}:bedrock:::foundation-model/{SONNET_45}",
        # a plain model without aws_region_name: the stack's region
        _model(R, "amazon.titan-embed-text-v2:0"),
        # bedrock/converse/<id> in eu-west-1
        _model("eu-west-1", "amazon.nova-pro-v1:0"),
    }
    assert set(as_list(bedrock["Resource"])) == expected


def test_no_bedrock_access_without_bedrock_models(buffered: Synth) -> None:
    for statement in statements(buffered):
        assert not any(str(a).startswith("bedrock:") for a in as_list(statement["Action"]))


def test_dynamodb_only_on_the_tables_and_their_indexes(streaming: Synth) -> None:
    dynamo = _by_sid(streaming)["UseTollwayTables"]
    actions = as_list(dynamo["Action"])
    assert all(a.startswith("dynamodb:") and "*" not in a for a in actions)
    assert "dynamodb:DeleteTable" not in actions
    table_ids = sorted(streaming.resources("AWS::DynamoDB::Table"))
    expected = {f"${{{t}.Arn}}" for t in table_ids} | {f"${{{t}.Arn}}/index/*" for t in table_ids}
    assert set(as_list(dynamo["Resource"])) == expected


def test_secrets_only_the_named_ones(streaming: Synth) -> None:
    secrets = _by_sid(streaming)["ReadTollwaySecrets"]
    assert sorted(as_list(secrets["Action"])) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    ids = sorted(streaming.resources("AWS::SecretsManager::Secret"))
    assert set(as_list(secrets["Resource"])) == {
        *(f"${{{i}}}" for i in ids),
        f"arn:{P}:secretsmanager:{R}:{A}:secret:team-a/anthropic-??????",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/tollway-master-AbCdEf",
    }


def test_only_xray_uses_a_star_resource(streaming: Synth, buffered: Synth) -> None:
    for s in (streaming, buffered):
        for statement in statements(s):
            if "*" in as_list(statement["Resource"]):
                assert all(a.startswith("xray:") for a in as_list(statement["Action"])), statement


def test_no_aws_managed_policy_on_the_function_role(buffered: Synth) -> None:
    role = next(v for k, v in buffered.resources("AWS::IAM::Role").items() if k.startswith("GatewayRole"))
    assert "ManagedPolicyArns" not in role["Properties"]
