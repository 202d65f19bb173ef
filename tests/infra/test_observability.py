"""Dashboard from the EMF metrics, alarms, and the SNS topic they notify."""

from __future__ import annotations

import json

from tests.infra.conftest import Synth, render
from tollway.storage.tables import TABLES


def _dashboard(s: Synth) -> dict:
    (dashboard,) = s.resources("AWS::CloudWatch::Dashboard").values()
    return json.loads(render(dashboard["Properties"]["DashboardBody"]))


def _widget(body: dict, title: str) -> dict:
    return next(w for w in body["widgets"] if w["properties"].get("title") == title)


def _expressions(widget: dict) -> list[str]:
    return [m[0]["expression"] for m in widget["properties"].get("metrics", []) if "expression" in m[0]]


def test_dashboard_widgets_cover_spend_traffic_and_health(buffered: Synth) -> None:
    body = _dashboard(buffered)
    cases = {
        "Cost by team (USD)": ["{Tollway,Team} MetricName=\"CostUSD\"', 'Sum'"],
        "Cost by model (USD)": ["{Tollway,Model} MetricName=\"CostUSD\"', 'Sum'"],
        "Cost by provider (USD)": ["{Tollway,Provider} MetricName=\"CostUSD\""],
        "Tokens by model": ['MetricName="InputTokens"', 'MetricName="OutputTokens"', 'MetricName="CachedTokens"'],
        "Requests by team": ["{Tollway,Team} MetricName=\"Requests\""],
        "Errors by provider": ["{Tollway,Provider} MetricName=\"Errors\""],
        "Latency p50 / p99 by model (ms)": ["MetricName=\"LatencyMs\"', 'p50'", "MetricName=\"LatencyMs\"', 'p99'"],
        "Time to first token p50 / p99 (ms)": ["MetricName=\"TTFTMs\"', 'p50'", "MetricName=\"TTFTMs\"', 'p99'"],
        "Budget alerts and queued settlements": ["Namespace=\"Tollway\" MetricName=\"BudgetAlerts\""],
    }
    for title, fragments in cases.items():
        expressions = " | ".join(_expressions(_widget(body, title)))
        assert expressions.startswith("SEARCH("), title
        for fragment in fragments:
            assert fragment in expressions, (title, fragment)
    throttles = json.dumps(_widget(body, "Throttles"))
    assert "Throttles" in throttles and "ReadThrottleEvents" in throttles
    api = json.dumps(_widget(body, "API requests and errors"))
    assert "5XXError" in api and "4XXError" in api and "Count" in api
    assert _widget(body, "Alarms")["type"] == "alarm"


def test_alarms_notify_the_topic(buffered: Synth) -> None:
    alarms = buffered.resources("AWS::CloudWatch::Alarm")
    (topic_id,) = buffered.resources("AWS::SNS::Topic")
    assert len(alarms) == 6
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
    text = {k: json.dumps(v["Properties"]) for k, v in alarms.items()}

    def find(prefix: str) -> str:
        return next(t for k, t in text.items() if k.startswith(f"Observability{prefix}"))

    assert "100 * errors / requests" in find("Api5xxRate") and "5XXError" in find("Api5xxRate")
    latency = json.loads(find("ApiLatencyP99"))
    assert latency["MetricName"] == "Latency" and latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] == 26100  # 90 % of the 29 s buffered integration timeout: it can fire
    queued = json.loads(find("SettlementsQueued"))
    assert (queued["Namespace"], queued["MetricName"], queued["Statistic"]) == ("Tollway", "SettlementsQueued", "Sum")
    assert "Dimensions" not in queued
    assert (queued["Threshold"], queued["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert json.loads(find("LambdaErrors"))["MetricName"] == "Errors"
    assert json.loads(find("LambdaThrottles"))["MetricName"] == "Throttles"
    dynamo = find("DynamoDbThrottles")
    tables = len(TABLES)
    assert dynamo.count("ReadThrottleEvents") == tables and dynamo.count("WriteThrottleEvents") == tables


def test_topic_email_subscription_is_optional(streaming: Synth, buffered: Synth) -> None:
    assert not buffered.resources("AWS::SNS::Subscription")
    (subscription,) = streaming.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    for s in (streaming, buffered):
        (policy,) = s.resources("AWS::SNS::TopicPolicy").values()
        assert "aws:SecureTransport" in json.dumps(policy)


def test_encrypted_topic_key_lets_cloudwatch_publish(streaming: Synth) -> None:
    (key_id, key), = streaming.resources("AWS::KMS::Key").items()
    (topic,) = streaming.resources("AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_bearer_api_has_its_own_alarms_and_widget_lines(streaming: Synth) -> None:
    alarms = {k: v["Properties"] for k, v in streaming.resources("AWS::CloudWatch::Alarm").items()}
    assert len(alarms) == 8  # the five service alarms, settlements, and the Bearer API's 5xx rate and p99
    bearer_id = "tollway-dev-bearer"  # API Gateway metrics are keyed by ApiName
    bearer = {k: json.dumps(v) for k, v in alarms.items() if k.startswith("ObservabilityBearerApi")}
    assert len(bearer) == 2 and all(bearer_id in text for text in bearer.values())
    p99 = next(v for k, v in alarms.items() if k.startswith("ObservabilityBearerApiLatencyP99"))
    assert p99["Threshold"] == 270_000  # 90 % of the 300 s streamed integration timeout
    body = _dashboard(streaming)
    assert bearer_id in json.dumps(_widget(body, "API requests and errors"))
    latency = json.dumps(_widget(body, "BearerApi latency p50 / p99 (ms)"))
    assert "Latency" in latency and bearer_id in latency


def test_dashboard_reads_exactly_the_emitted_dimension_sets(buffered: Synth) -> None:
    """Every EMF series the gateway emits by default is read by a widget, and every widget line is emitted."""
    from tollway.observability.metrics import DEFAULT_DIRECTIVES

    emitted = {(dims[0], name) for dims, names in DEFAULT_DIRECTIVES for name in names if name != "PriceMissing"}
    body = json.dumps(_dashboard(buffered))
    read = set()
    for dims, names in DEFAULT_DIRECTIVES:
        for name in names:
            if f'{{Tollway,{dims[0]}}} MetricName=\\"{name}\\"' in body:
                read.add((dims[0], name))
    assert read == emitted
