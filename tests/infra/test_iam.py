"""Least privilege: Bedrock, DynamoDB and Secrets Manager scoped from the config and the stack."""

from __future__ import annotations

from cdk.iam_policies import TABLE_ACTIONS
from tests.infra.conftest import Synth, as_list, render, statements

P, R, A = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"
SONNET = "anthropic.claude-sonnet-4-20250514-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
APP = "arn:aws:bedrock"


def _by_sid(s: Synth) -> dict[str, dict]:
    return {st.get("Sid", ""): st for st in statements(s)}


def _model(region: str, model: str) -> str:
    return f"arn:{P}:bedrock:{region}::foundation-model/{model}"


def test_bedrock_scoped_to_configured_models_and_profiles(streaming: Synth) -> None:
    by_sid = _by_sid(streaming)
    bedrock = by_sid["InvokeConfiguredBedrockModels"]
    assert sorted(as_list(bedrock["Action"])) == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert "Condition" not in bedrock
    assert set(as_list(bedrock["Resource"])) == {
        # system cross-region profiles: the profile itself, in the deployment's region
        f"arn:{P}:bedrock:us-east-1:{A}:inference-profile/us.{SONNET}",
        f"arn:{P}:bedrock:us-west-2:{A}:inference-profile/global.{SONNET_45}",
        # a plain model without a region: the stack's region; with aws_region_name / aws_region: that region
        _model(R, "amazon.titan-embed-text-v2:0"),
        _model("eu-west-1", "amazon.nova-pro-v1:0"),
        _model("us-west-2", "meta.llama3-3-70b-instruct-v1:0"),
        # application inference profiles, as named
        f"{APP}:us-east-1:123456789012:application-inference-profile/known1",
        f"{APP}:eu-west-1:123456789012:application-inference-profile/opaque2",
    }


def test_models_behind_profiles_only_through_those_profiles(streaming: Synth) -> None:
    """No hard-coded destination list: the model in any region, but only via the named profile."""
    through = {}
    for statement in statements(streaming):
        if statement.get("Sid", "").startswith("InvokeThroughProfile"):
            assert sorted(as_list(statement["Action"])) == ["bedrock:InvokeModel",
                                                           "bedrock:InvokeModelWithResponseStream"]
            profile = render(statement["Condition"]["StringEquals"]["bedrock:InferenceProfileArn"])
            through[profile] = set(as_list(statement["Resource"]))
    assert through == {
        f"arn:{P}:bedrock:us-east-1:{A}:inference-profile/us.{SONNET}": {_model("*", SONNET)},
        f"arn:{P}:bedrock:us-west-2:{A}:inference-profile/global.{SONNET_45}": {
            _model("*", SONNET_45), f"arn:{P}:bedrock:::foundation-model/{SONNET_45}"},
        # model_info.base_model names the model behind the application profile
        f"{APP}:us-east-1:123456789012:application-inference-profile/known1": {
            _model("*", "anthropic.claude-3-5-haiku-20241022-v1:0")},
        # otherwise any model or system profile, still only through that application profile
        f"{APP}:eu-west-1:123456789012:application-inference-profile/opaque2": {
            _model("*", "*"), f"arn:{P}:bedrock:*:{A}:inference-profile/*"},
    }


def test_sns_publish_only_on_the_configured_alert_topic(streaming: Synth, buffered: Synth) -> None:
    publish = _by_sid(streaming)["PublishBudgetAlerts"]
    assert as_list(publish["Action"]) == ["sns:Publish"]
    assert as_list(publish["Resource"]) == ["arn:aws:sns:us-east-1:123456789012:budget-alerts"]
    for statement in statements(buffered):  # no topic in the config: no SNS permission at all
        assert not any(str(a).startswith("sns:") for a in as_list(statement["Action"]))


def test_no_bedrock_access_without_bedrock_models(buffered: Synth) -> None:
    for statement in statements(buffered):
        assert not any(str(a).startswith("bedrock:") for a in as_list(statement["Action"]))


def test_dynamodb_actions_per_table_are_the_ones_the_code_calls(streaming: Synth) -> None:
    by_sid = _by_sid(streaming)
    tables = {name: streaming.stack.data.tables[name] for name in TABLE_ACTIONS}
    ids = {name: streaming.stack.get_logical_id(table.node.default_child) for name, table in tables.items()}
    expected = {
        "TableIdentity": ["BatchGetItem", "DeleteItem", "GetItem", "PutItem", "Query"],
        "TableCounters": ["GetItem", "UpdateItem"],
        "TableSpend": ["PutItem", "Query", "UpdateItem"],
        "TableAudit": ["PutItem", "Query"],  # append-only: no update or delete of audit entries
    }
    for sid, actions in expected.items():
        statement = by_sid[sid]
        assert sorted(a.removeprefix("dynamodb:") for a in as_list(statement["Action"])) == actions
        assert as_list(statement["Resource"]) == [f"${{{ids[sid.removeprefix('Table').lower()]}.Arn}}"]
    for name in ("identity", "spend", "audit"):  # tables with an index: Query on that index, by name
        statement = by_sid[f"Table{name.capitalize()}Indexes"]
        assert as_list(statement["Action"]) == ["dynamodb:Query"]
        assert as_list(statement["Resource"]) == [f"${{{ids[name]}.Arn}}/index/gsi1"]
    assert "TableCountersIndexes" not in by_sid  # no index, no index grant
    every = {a for st in statements(streaming) for a in as_list(st["Action"]) if str(a).startswith("dynamodb:")}
    assert not every & {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable",
                        "dynamodb:ConditionCheckItem", "dynamodb:DeleteTable"}


def test_secrets_only_the_named_ones(streaming: Synth) -> None:
    secrets = _by_sid(streaming)["ReadTollwaySecrets"]
    assert sorted(as_list(secrets["Action"])) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    ids = sorted(streaming.resources("AWS::SecretsManager::Secret"))
    assert set(as_list(secrets["Resource"])) == {
        *(f"${{{i}}}" for i in ids),
        f"arn:{P}:secretsmanager:{R}:{A}:secret:team-a/anthropic-??????",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/tollway-master-AbCdEf",
    }


def test_only_xray_uses_a_star_resource_in_a_policy_of_its_own(streaming: Synth, buffered: Synth) -> None:
    for s in (streaming, buffered):
        for statement in statements(s):
            if "*" in as_list(statement["Resource"]):
                assert all(a.startswith("xray:") for a in as_list(statement["Action"])), statement
        trace = [p for k, p in s.resources("AWS::IAM::Policy").items() if k.startswith("GatewayTraceWrites")]
        (policy,) = trace
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert sorted(as_list(statement["Action"])) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def test_settlement_queue_grants_exactly_four_actions(streaming: Synth) -> None:
    (queue_id,) = streaming.resources("AWS::SQS::Queue")
    statement = _by_sid(streaming)["UseSettlementQueue"]
    assert sorted(as_list(statement["Action"])) == ["sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                                    "sqs:ReceiveMessage", "sqs:SendMessage"]
    assert as_list(statement["Resource"]) == [f"${{{queue_id}.Arn}}"]


def test_no_aws_managed_policy_on_the_function_role(buffered: Synth) -> None:
    role = next(v for k, v in buffered.resources("AWS::IAM::Role").items() if k.startswith("GatewayRole"))
    assert "ManagedPolicyArns" not in role["Properties"]
