"""API Gateway: IAM on every method (root included), REGIONAL, logs, throttling, streaming, Bearer routes."""

from __future__ import annotations

from tests.infra.conftest import ALLOWED_ROLE, Synth, render


def _apis(s: Synth) -> dict[str, dict]:
    return {v["Properties"]["Name"]: {"id": k, **v} for k, v in s.resources("AWS::ApiGateway::RestApi").items()}


def _methods(s: Synth, api_id: str) -> list[dict]:
    return [m["Properties"] for m in s.resources("AWS::ApiGateway::Method").values()
            if m["Properties"]["RestApiId"] == {"Ref": api_id}]


def test_iam_on_every_method_including_root(streaming: Synth, buffered: Synth) -> None:
    for s in (streaming, buffered):
        api = _apis(s)[f"tollway-{s.stack.settings.stage}"]
        methods = _methods(s, api["id"])
        assert methods, "no methods"
        assert all(m["AuthorizationType"] == "AWS_IAM" for m in methods)
        root = [m for m in methods if m["ResourceId"] == {"Fn::GetAtt": [api["id"], "RootResourceId"]}]
        assert len(root) == 1 and root[0]["HttpMethod"] == "ANY"
        assert api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_stage_access_logs_throttling_tracing(buffered: Synth) -> None:
    (stage,) = buffered.resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "dev"
    assert props["TracingEnabled"] is True
    log_group = props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    assert buffered.template["Resources"][log_group]["Properties"]["RetentionInDays"] == 30
    assert "$context.identity.caller" in props["AccessLogSetting"]["Format"]
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 50 and settings["ThrottlingBurstLimit"] == 100
    assert settings["DataTraceEnabled"] is False and settings["LoggingLevel"] == "ERROR"


def test_streaming_integration(streaming: Synth) -> None:
    for method in _methods(streaming, _apis(streaming)["tollway-dev"]["id"]):
        integration = method["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["ResponseTransferMode"] == "STREAM"
        assert integration["TimeoutInMillis"] == 300_000
        assert render(integration["Uri"]).endswith("/response-streaming-invocations")


def test_buffered_integration(buffered: Synth) -> None:
    for method in _methods(buffered, _apis(buffered)["tollway-dev"]["id"]):
        integration = method["Integration"]
        assert integration.get("ResponseTransferMode", "BUFFERED") == "BUFFERED"
        assert integration["TimeoutInMillis"] == 29_000
        assert render(integration["Uri"]).endswith("/invocations")
        assert "response-streaming" not in render(integration["Uri"])


def test_resource_policy_only_with_allowed_principals(streaming: Synth, buffered: Synth) -> None:
    assert "Policy" not in _apis(buffered)["tollway-dev"]["Properties"]
    allow, deny = _apis(streaming)["tollway-dev"]["Properties"]["Policy"]["Statement"]
    assert allow["Effect"] == "Allow" and allow["Action"] == "execute-api:Invoke"
    assert allow["Principal"] == {"AWS": ALLOWED_ROLE}
    # same-account callers are let in by their own IAM policy unless the resource policy denies them
    assert deny["Effect"] == "Deny" and deny["Action"] == "execute-api:Invoke"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [ALLOWED_ROLE]}}


def test_bearer_routes_are_opt_in_and_inference_only(streaming: Synth, buffered: Synth) -> None:
    assert set(_apis(buffered)) == {"tollway-dev"}
    bearer = _apis(streaming)["tollway-dev-bearer"]
    methods = _methods(streaming, bearer["id"])
    assert {m["AuthorizationType"] for m in methods} == {"NONE"}
    resources = streaming.resources("AWS::ApiGateway::Resource")
    paths = set()
    for method in methods:
        resource = resources[method["ResourceId"]["Ref"]]["Properties"]
        parent = resources.get(resource["ParentId"].get("Ref", ""), {}).get("Properties", {})
        paths.add((method["HttpMethod"], f"{parent.get('PathPart', '')}/{resource['PathPart']}"))
    assert paths == {("ANY", "v1/{proxy+}"), ("GET", "health/{proxy+}")}
    assert all(m["Integration"]["ResponseTransferMode"] == "STREAM" for m in methods)


def test_one_invoke_permission_per_api(streaming: Synth) -> None:
    permissions = streaming.resources("AWS::Lambda::Permission").values()
    assert {p["Properties"]["Principal"] for p in permissions} == {"apigateway.amazonaws.com"}
    assert len(list(permissions)) == 2  # IAM API + Bearer API
