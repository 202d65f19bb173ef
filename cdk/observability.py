"""CloudWatch dashboard, alarms and the SNS topic they notify.

The gateway publishes EMF metrics in namespace ``Tollway`` under exactly the dimension sets these
widgets read (``tollway.observability.metrics.DEFAULT_DIRECTIVES``: (Team), (Model), (Provider)),
plus BudgetAlerts (Scope) and SettlementsQueued (no dimension), and, when the config has guardrails,
GuardrailViolations by (Guardrail, Action) and by (Team) (``tollway.guardrails.record``). Team and model values are
open-ended, so the widgets use SEARCH expressions: a new team shows up without a redeploy.
Alarms cover each API (5xx rate, p99 latency against a threshold derived from the integration
timeout), the function (errors, throttles), the tables (throttle events) and settlements parked on
the settlement queue. Nothing here costs money while nobody calls the API, except the dashboard and
alarms' flat monthly price.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from cdk.settings import Settings

NAMESPACE = "Tollway"
PERIOD = Duration.minutes(5)
FIVE_XX_RATE_PERCENT = 5
LAMBDA_ERRORS = 5


def search(dimensions: str | None, metric: str, stat: str, label: str) -> cw.MathExpression:
    """A SEARCH over ``{Tollway,<dimensions>}`` for ``metric``: one line per team/model/provider.

    ``dimensions`` None matches the metric under any dimension set.
    """
    schema = f"{{{NAMESPACE},{dimensions}}}" if dimensions else f'Namespace="{NAMESPACE}"'
    expression = f"SEARCH('{schema} MetricName=\"{metric}\"', '{stat}', 300)"
    return cw.MathExpression(expression=expression, label=label, period=PERIOD, using_metrics={})


class Observability(Construct):
    """Exposes ``topic``, ``dashboard`` and ``alarms`` (by name)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, api: apigw.RestApi,
                 function: lambda_.IFunction, tables: Sequence[dynamodb.ITable], key: kms.IKey | None = None,
                 bearer_api: apigw.RestApi | None = None, guardrails: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        #: the config has guardrails: the dashboard gets their violations row
        self.guardrails = guardrails
        self.api = api
        #: (label, API): every API the stack serves, each with its own alarms and widget lines
        self.apis: list[tuple[str, apigw.RestApi]] = [("Api", api)]
        if bearer_api is not None:
            self.apis.append(("BearerApi", bearer_api))
        self.function = function
        self.tables = list(tables)
        self.topic = self._build_topic(key)
        self.alarms = self._build_alarms()
        self.dashboard = self._build_dashboard()

    def _build_topic(self, key: kms.IKey | None) -> sns.Topic:
        topic = sns.Topic(self, "Alarms", display_name=f"Tollway {self.settings.stage} alarms",
                          enforce_ssl=True, master_key=key)
        if self.settings.alarm_email:
            topic.add_subscription(subs.EmailSubscription(self.settings.alarm_email))
        return topic

    def _build_alarms(self) -> dict[str, cw.Alarm]:
        threshold = self.settings.p99_threshold_ms
        alarms: dict[str, cw.Alarm] = {}
        for label, api in self.apis:
            alarms[f"{label}5xxRate"] = self._alarm(
                f"{label}5xxRate", self._five_xx_rate(api), FIVE_XX_RATE_PERCENT,
                f"More than 5% of {label} requests failed with 5xx over 5 minutes")
            alarms[f"{label}LatencyP99"] = self._alarm(
                f"{label}LatencyP99", api.metric_latency(statistic="p99", period=PERIOD), threshold,
                f"{label} p99 latency above {threshold} ms ({self.settings.integration_timeout_seconds} s "
                "integration timeout)")
        alarms.update({
            "SettlementsQueued": self._alarm(
                "SettlementsQueued", cw.Metric(namespace=NAMESPACE, metric_name="SettlementsQueued",
                                               statistic="Sum", period=PERIOD), 0,
                "Settlements parked on the settlement queue (DynamoDB was slow or refused in time)",
                comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD),
            "LambdaErrors": self._alarm("LambdaErrors", self.function.metric_errors(period=PERIOD), LAMBDA_ERRORS,
                                        "Gateway function errors (crashes, timeouts)"),
            "LambdaThrottles": self._alarm("LambdaThrottles", self.function.metric_throttles(period=PERIOD), 1,
                                           "Gateway function throttled: concurrency exhausted"),
            "DynamoDbThrottles": self._alarm("DynamoDbThrottles", self._table_throttles(), 1,
                                             "DynamoDB read/write throttle events on Tollway tables"),
        })
        return alarms

    def _alarm(self, name: str, metric: cw.IMetric, threshold: float, description: str, *,
               comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
               ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=f"Tollway {self.settings.stage}: {description}",
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        return alarm

    @staticmethod
    def _five_xx_rate(api: apigw.RestApi) -> cw.MathExpression:
        return cw.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"errors": api.metric_server_error(period=PERIOD, statistic="Sum"),
                           "requests": api.metric_count(period=PERIOD, statistic="Sum")},
            label="5xx %",
            period=PERIOD,
        )

    def _table_throttles(self) -> cw.MathExpression:
        metrics: dict[str, cw.IMetric] = {}
        for i, table in enumerate(self.tables):
            for kind in ("ReadThrottleEvents", "WriteThrottleEvents"):
                metrics[f"{kind[0].lower()}{i}"] = cw.Metric(
                    namespace="AWS/DynamoDB", metric_name=kind, dimensions_map={"TableName": table.table_name},
                    statistic="Sum", period=PERIOD)
        return cw.MathExpression(expression=" + ".join(f"FILL({m}, 0)" for m in metrics), using_metrics=metrics,
                                 label="throttle events", period=PERIOD)

    def _build_dashboard(self) -> cw.Dashboard:
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"Tollway-{self.settings.stage}",
                                 default_interval=Duration.days(7))
        graph = self._graph
        dashboard.add_widgets(
            cw.TextWidget(markdown=f"# Tollway {self.settings.stage}\nSpend, traffic and health of the gateway. "
                                   "Per-team and per-model lines come from the gateway's EMF metrics.",
                          width=24, height=2))
        dashboard.add_widgets(
            graph("Cost by team (USD)", [search("Team", "CostUSD", "Sum", "")]),
            graph("Cost by model (USD)", [search("Model", "CostUSD", "Sum", "")]),
            graph("Cost by provider (USD)", [search("Provider", "CostUSD", "Sum", "")]),
        )
        dashboard.add_widgets(
            graph("Tokens by model", [search("Model", name, "Sum", "") for name in
                                      ("InputTokens", "OutputTokens", "CachedTokens")]),
            graph("Requests by team", [search("Team", "Requests", "Sum", "")]),
            graph("Errors by provider", [search("Provider", "Errors", "Sum", "")]),
        )
        dashboard.add_widgets(
            graph("Latency p50 / p99 by model (ms)", [search("Model", "LatencyMs", "p50", ""),
                                                      search("Model", "LatencyMs", "p99", "")]),
            graph("Time to first token p50 / p99 (ms)", [search("Model", "TTFTMs", "p50", ""),
                                                         search("Model", "TTFTMs", "p99", "")]),
            graph("Budget alerts and queued settlements", [
                search(None, "BudgetAlerts", "Sum", ""),
                cw.Metric(namespace=NAMESPACE, metric_name="SettlementsQueued", statistic="Sum", period=PERIOD,
                          label="settlements queued")]),
        )
        dashboard.add_widgets(*(
            graph(f"{label} latency p50 / p99 (ms)", [api.metric_latency(statistic=stat, period=PERIOD)
                                                     for stat in ("p50", "p99")])
            for label, api in self.apis))
        if self.guardrails:
            dashboard.add_widgets(*self._guardrail_widgets())
        dashboard.add_widgets(
            graph("API requests and errors", [
                metric.with_(label=f"{label} {name}")
                for label, api in self.apis
                for name, metric in (("requests", api.metric_count(period=PERIOD)),
                                     ("4xx", api.metric_client_error(period=PERIOD)),
                                     ("5xx", api.metric_server_error(period=PERIOD)))]),
            graph("Throttles", [self.function.metric_throttles(period=PERIOD), self._table_throttles()]),
            cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=8, height=6),
        )
        return dashboard

    @staticmethod
    def _guardrail_widgets() -> list[cw.GraphWidget]:
        """Violations per guardrail and action (block, mask, log...), and per team: one line per value."""
        return [
            cw.GraphWidget(title="Guardrail violations by guardrail and action",
                           left=[search("Action,Guardrail", "GuardrailViolations", "Sum", "")],
                           width=12, height=6, stacked=True),
            cw.GraphWidget(title="Guardrail violations by team",
                           left=[search("Team", "GuardrailViolations", "Sum", "")],
                           width=12, height=6, stacked=True),
        ]

    @staticmethod
    def _graph(title: str, metrics: Sequence[cw.IMetric]) -> cw.GraphWidget:
        return cw.GraphWidget(title=title, left=list(metrics), width=8, height=6, stacked=False)
